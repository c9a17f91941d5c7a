import { randomBytes } from 'node:crypto';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../../src/app.js';
import { ItemsExportRepository } from '../../../src/modules/items/items-export.repository.js';
import { ItemsExportService } from '../../../src/modules/items/items-export.service.js';
import { buildTestApp, createUser, problemOf, type TestUser } from '../../helpers/app.js';

let app: App;
let owner: TestUser;
// Every item of this file carries this tag, and every export filters on it: other test files
// write items into the same database at the same time.
const tag = `export-${randomBytes(4).toString('hex')}`;
const HEADER = 'id,name,description,price,tax,tags,ownerId,createdAt,updatedAt';

const tricky = [
  { name: 'Comma, inside', description: 'plain', price: 10, tags: [tag] },
  { name: 'Quote "inside"', description: 'she said "hi"', price: 20, tax: 1.5, tags: [tag, 'quoted'] },
  { name: 'Line\nbreak', description: 'first\r\nsecond', price: 30, tags: [tag] },
  { name: 'Plain', description: null, price: 40.5, tags: [tag, 'a', 'b'] },
  { name: 'Ünïcödé ✓', description: '  leading and trailing spaces  ', price: 50, tags: [tag] },
];

function exportUrl(query: Record<string, string | number> = {}) {
  return `/api/v1/items/export.csv?${new URLSearchParams({ tag, ...Object.fromEntries(Object.entries(query).map(([k, v]) => [k, String(v)])) })}`;
}

function rows(body: string): Record<string, string>[] {
  return parse(body, { columns: true, skip_empty_lines: false });
}

beforeAll(async () => {
  app = await buildTestApp();
  owner = await createUser(app);
  for (const item of tricky) {
    const response = await app.inject({ method: 'POST', url: '/api/v1/items', headers: owner.headers, payload: item });
    expect(response.statusCode, response.body).toBe(201);
  }
});
afterAll(() => app.close());

describe('GET /api/v1/items/export.csv', () => {
  it('downloads every matching item as CSV with a header row and attachment disposition, anonymously', async () => {
    const response = await app.inject({ method: 'GET', url: exportUrl({ sort: 'price' }) });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(response.headers['content-disposition']).toMatch(/^attachment; filename="items-\d{4}-\d{2}-\d{2}\.csv"; filename\*=UTF-8''items-/);
    expect(response.body.split('\r\n')[0]).toBe(HEADER);
    const exported = rows(response.body);
    expect(exported.map((r) => r.name)).toEqual(tricky.map((i) => i.name));
    expect(exported[1]).toMatchObject({ description: 'she said "hi"', price: '20.00', tax: '1.50', tags: `${tag}|quoted`, ownerId: String(owner.id) });
    expect(exported[3]).toMatchObject({ description: '', price: '40.50', tax: '', tags: `${tag}|a|b` });
    expect(Date.parse(exported[0]!.createdAt!)).not.toBeNaN();
  });

  it('quotes per RFC 4180: commas, quotes (doubled) and line breaks inside quotes; CRLF between records', async () => {
    const body = (await app.inject({ method: 'GET', url: exportUrl({ sort: 'price' }) })).body;
    expect(body).toContain(',"Comma, inside",plain,10.00,');
    expect(body).toContain(',"Quote ""inside""","she said ""hi""",20.00,1.50,');
    expect(body).toContain(',"Line\nbreak","first\r\nsecond",30.00,');
    expect(body).toContain(',Ünïcödé ✓,  leading and trailing spaces  ,50.00,');
    expect(body.endsWith('\r\n')).toBe(true);
    expect(rows(body).find((r) => r.name === 'Line\nbreak')?.description).toBe('first\r\nsecond');
  });

  it('applies the list filters and sort', async () => {
    const cheap = rows((await app.inject({ method: 'GET', url: exportUrl({ maxPrice: 25, sort: '-price' }) })).body);
    expect(cheap.map((r) => r.price)).toEqual(['20.00', '10.00']);
    const searched = rows((await app.inject({ method: 'GET', url: exportUrl({ q: 'INSIDE' }) })).body);
    expect(searched.map((r) => r.name).sort()).toEqual(['Comma, inside', 'Quote "inside"']);
    const byName = rows((await app.inject({ method: 'GET', url: exportUrl({ sort: '-name', minPrice: 15 }) })).body);
    expect(byName.map((r) => r.price)).toEqual(['50.00', '20.00', '40.50', '30.00']);
  });

  it('sends only the header row when nothing matches', async () => {
    const response = await app.inject({ method: 'GET', url: `/api/v1/items/export.csv?tag=nothing-${randomBytes(4).toString('hex')}` });
    expect(response.statusCode).toBe(200);
    expect(response.body).toBe(`${HEADER}\r\n`);
  });

  it('validates the query like the list does (422), and takes no paging', async () => {
    for (const query of ['sort=nope', 'minPrice=-1', 'q=ab', 'limit=10']) {
      const response = await app.inject({ method: 'GET', url: `/api/v1/items/export.csv?${query}` });
      expect(response.statusCode, query).toBe(422);
      expect(problemOf(response).status).toBe(422);
    }
  });

  it('is not captured by GET /items/:id', async () => {
    const response = await app.inject({ method: 'GET', url: '/api/v1/items/export.csv' });
    expect(response.headers['content-type']).toBe('text/csv; charset=utf-8');
  });
});

describe('ItemsExportService batches', () => {
  it('walks every row exactly once across keyset batches, for every sort, with ties on the sort value', async () => {
    // Same price and name on many rows: the id tie-breaker must keep batches from repeating or skipping.
    const batchTag = `batch-${randomBytes(4).toString('hex')}`;
    const made = await app.prisma.item.createManyAndReturn({
      data: Array.from({ length: 23 }, (_, i) => ({ ownerId: owner.id, name: `same-${i % 3}`, price: 5 + (i % 4), tags: [batchTag] })),
      select: { id: true },
    });
    const service = new ItemsExportService(new ItemsExportRepository(app.prisma), 4);
    for (const sort of ['name', '-name', 'price', '-price', 'createdAt', '-createdAt'] as const) {
      const ids: number[] = [];
      for await (const record of await service.open({ tag: batchTag }, sort)) ids.push(Number(record.id));
      expect(ids.slice().sort((a, b) => a - b), sort).toEqual(made.map((m) => m.id).sort((a, b) => a - b));
      expect(new Set(ids).size).toBe(ids.length);
    }
  });

  it('stops reading batches when the consumer stops', async () => {
    const batchTag = `stop-${randomBytes(4).toString('hex')}`;
    await app.prisma.item.createMany({ data: Array.from({ length: 10 }, (_, i) => ({ ownerId: owner.id, name: `n${i}`, price: 1, tags: [batchTag] })) });
    let batchesRead = 0;
    const repository = new ItemsExportRepository(app.prisma);
    const counting = {
      async *batches(...args: Parameters<ItemsExportRepository['batches']>) {
        for await (const batch of repository.batches(...args)) {
          batchesRead += 1;
          yield batch;
        }
      },
    } as ItemsExportRepository;
    const records = await new ItemsExportService(counting, 2).open({ tag: batchTag }, 'name');
    for await (const record of records) {
      if (record.name === 'n2') break;
    }
    expect(batchesRead).toBe(2);
  });
});
