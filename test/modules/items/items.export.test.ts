import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { parse } from 'csv-parse/sync';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { App } from '../../../src/compose/api.js';
import { escapeLiteral } from 'pg';
import { neutralizeCell, neutralizeSql } from '../../../src/lib/csv-cells.js';
import { exportStatement } from '../../../src/modules/items/fast-paths/items-export.repository.js';
import { buildTestApp, problemOf } from '../../helpers/app.js';
import { createItem } from '../../helpers/factories/items.js';
import { createUser, type TestUser } from '../../helpers/factories/users.js';

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
  for (const item of tricky) await createItem(app, owner, item);
});
afterAll(() => app.close());

describe('GET /api/v1/items/export.csv', () => {
  it('downloads every matching item as CSV with a header row and attachment disposition, anonymously', async () => {
    const response = await app.inject({ method: 'GET', url: exportUrl({ sort: 'price' }) });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(response.headers['content-disposition']).toMatch(
      /^attachment; filename="items-\d{4}-\d{2}-\d{2}\.csv"; filename\*=UTF-8''items-/,
    );
    expect(response.body.split('\r\n')[0]).toBe(HEADER);
    const exported = rows(response.body);
    expect(exported.map((r) => r.name)).toEqual(tricky.map((i) => i.name));
    expect(exported[1]).toMatchObject({
      description: 'she said "hi"',
      price: '20.00',
      tax: '1.50',
      tags: `${tag}|quoted`,
      ownerId: String(owner.id),
    });
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
    const response = await app.inject({
      method: 'GET',
      url: `/api/v1/items/export.csv?tag=nothing-${randomBytes(4).toString('hex')}`,
    });
    expect(response.statusCode).toBe(200);
    expect(response.body).toBe(`${HEADER}\r\n`);
  });

  it('validates the query like the list does (422), and takes no paging', async () => {
    for (const query of ['sort=nope', 'minPrice=-1', 'q=a', 'limit=10']) {
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

describe('the COPY-based export', () => {
  it('streams rows in exactly the order of the paginated list, for every sort, with ties on the sort value', async () => {
    // Same price and name on many rows: the id tie-breaker must order them like the list does.
    const orderTag = `order-${randomBytes(4).toString('hex')}`;
    await app.prisma.item.createMany({
      data: Array.from({ length: 23 }, (_, i) => ({
        ownerId: owner.id,
        name: `same-${i % 3}`,
        price: 5 + (i % 4),
        tags: [orderTag],
      })),
    });
    for (const sort of ['name', '-name', 'price', '-price', 'createdAt', '-createdAt'] as const) {
      const listed = (
        await app.inject({ method: 'GET', url: `/api/v1/items?tag=${orderTag}&sort=${sort}&limit=100` })
      ).json<{ items: { id: number }[] }>();
      const exported = rows(
        (await app.inject({ method: 'GET', url: exportUrl({ sort }).replace(`tag=${tag}`, `tag=${orderTag}`) })).body,
      );
      expect(
        exported.map((r) => Number(r.id)),
        sort,
      ).toEqual(listed.items.map((i) => i.id));
    }
  });

  it('reads quotes, backslashes and wildcards in the search as word separators, never as syntax', async () => {
    const textTag = `text-${randomBytes(4).toString('hex')}`;
    for (const name of [`100%_off 'sale' \\ back`, 'plain item']) {
      await createItem(app, owner, { name, price: 1, tags: [textTag] });
    }
    const search = async (q: string) =>
      rows(
        (
          await app.inject({
            method: 'GET',
            url: `/api/v1/items/export.csv?${new URLSearchParams({ tag: textTag, q })}`,
          })
        ).body,
      ).map((r) => r.name);
    expect(await search(`%_off 'sale`)).toEqual([`100%_off 'sale' \\ back`]);
    expect(await search(`'sale' \\ back`)).toEqual([`100%_off 'sale' \\ back`]);
    expect(await search('___')).toEqual([]);
    expect(await search(`' OR '1'='1`)).toEqual([]);
    // The list (Prisma) agrees on every one of them.
    const listed = (
      await app.inject({ method: 'GET', url: `/api/v1/items?${new URLSearchParams({ tag: textTag, q: '%_off' })}` })
    ).json<{ total: number }>();
    expect(listed.total).toBe(1);
  });

  it('refuses minPrice above maxPrice like the list does', async () => {
    const response = await app.inject({ method: 'GET', url: exportUrl({ minPrice: 30, maxPrice: 10 }) });
    expect(response.statusCode).toBe(422);
    expect(problemOf(response).errors?.map((e) => e.path)).toEqual(['/query/minPrice', '/query/maxPrice']);
  });

  it('gives the connection back to the pool after an export, and cancels the COPY when the client leaves', async () => {
    const bigTag = `big-${randomBytes(4).toString('hex')}`;
    await app.prisma.$executeRawUnsafe(
      `INSERT INTO items (owner_id, name, description, price, tags, updated_at) SELECT ${owner.id}, 'bulk ' || g, repeat('x', 500), 1, ARRAY['${bigTag}'], now() FROM generate_series(1, 20000) g`,
    );
    await app.inject({ method: 'GET', url: exportUrl({ sort: 'price' }) });
    // Exports use their own pool (src/db/export-pool.ts), never the API's.
    expect(app.services.database.exportPool.totalCount).toBeGreaterThan(0);
    expect(app.services.database.exportPool.totalCount - app.services.database.exportPool.idleCount).toBe(0);

    await app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = app.server.address() as AddressInfo;
    const activeCopies = async () =>
      Number(
        (
          await app.prisma.$queryRawUnsafe<{ n: bigint }[]>(
            `SELECT count(*) AS n FROM pg_stat_activity WHERE query LIKE 'COPY (SELECT%' AND query LIKE '%${bigTag}%' AND state = 'active'`,
          )
        )[0]!.n,
      );
    const request = http.get({ host: '127.0.0.1', port, path: `/api/v1/items/export.csv?tag=${bigTag}` });
    const response = await new Promise<http.IncomingMessage>((resolve) => request.on('response', resolve));
    response.pause(); // a client that stops reading: PostgreSQL waits with the COPY open
    await vi.waitFor(async () => expect(await activeCopies()).toBe(1), { timeout: 10_000, interval: 100 });
    request.destroy();
    await vi.waitFor(
      async () => {
        expect(await activeCopies()).toBe(0);
        expect(app.services.database.exportPool.totalCount - app.services.database.exportPool.idleCount).toBe(0);
      },
      { timeout: 10_000, interval: 100 },
    );
  });
});

describe('formula injection', () => {
  it('quotes text cells a spreadsheet would run as formulas, and nothing else', async () => {
    const formulaTag = `formula-${randomBytes(4).toString('hex')}`;
    for (const payload of [
      { name: '=cmd|" /C calc"!A0', description: '+1', price: 1, tags: [formulaTag] },
      { name: '@SUM(A1)', description: '\tindented', price: 2, tax: 1, tags: ['-lead', formulaTag] },
    ]) {
      await createItem(app, owner, payload);
    }
    const exported = rows(
      (await app.inject({ method: 'GET', url: `/api/v1/items/export.csv?tag=${formulaTag}&sort=price` })).body,
    );
    expect(
      exported.map(({ name, description, price, tax, tags }) => ({ name, description, price, tax, tags })),
    ).toEqual([
      { name: '\'=cmd|" /C calc"!A0', description: "'+1", price: '1.00', tax: '', tags: formulaTag },
      { name: "'@SUM(A1)", description: "'\tindented", price: '2.00', tax: '1.00', tags: `'-lead|${formulaTag}` },
    ]);
  });

  it('applies in SQL (the COPY export) exactly the rule of neutralizeCell', async () => {
    // Text without NUL (PostgreSQL text cannot hold it), rich in quotes and dangerous characters.
    const values = fc.sample(
      fc
        .array(fc.oneof(fc.constantFrom("'", '=', '+', '-', '@', '\t', '\r', ' ', 'x'), fc.string({ maxLength: 3 })), {
          maxLength: 5,
        })
        .map((parts) => parts.join('').replace(/\0/g, '')),
      { numRuns: 500, seed: 42 },
    );
    const { rows: results } = await app.services.database.pool.query<{ v: string; n: string }>(
      `SELECT v, ${neutralizeSql('v')} AS n FROM unnest($1::text[]) AS v`,
      [values],
    );
    expect(results.map((r) => r.n)).toEqual(values.map(neutralizeCell));
  });
});

describe('exportStatement', () => {
  it('writes validated values as literals and refuses anything else', () => {
    const sql = exportStatement({ q: "it's", tag: 'a\\b', minPrice: 1.5, maxPrice: 2 }, '-price');
    expect(sql).toContain(`search @@ websearch_to_tsquery('simple', 'it''s')`);
    expect(sql).toContain(`ARRAY[${escapeLiteral('a\\b')}]`);
    expect(sql).toContain('price >= 1.5 AND price <= 2');
    expect(sql).toContain('ORDER BY price DESC, id DESC');
    expect(() => exportStatement({ minPrice: Number.NaN }, 'price')).toThrow(TypeError);
    expect(() => exportStatement({}, 'owner_id; DROP TABLE items' as never)).toThrow(TypeError);
  });
});
