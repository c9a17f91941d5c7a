// Keyset pagination of GET /api/v1/items: walking a list by `nextCursor` visits every matching
// item exactly once, in order, for every sort, even while items are being added; offsets stop at
// MAX_ITEM_OFFSET with a 422 that points to the cursor, and a cursor that is not this list's is
// a 422 too. Every list here is filtered by a tag of this file's own.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../../src/compose/api.js';
import { MAX_ITEM_OFFSET } from '../../../src/modules/items/items.schemas.js';
import { buildTestApp, problemOf } from '../../helpers/app.js';
import { createItem, itemPayload, type ItemOut } from '../../helpers/factories/items.js';
import { createUser, type TestUser } from '../../helpers/factories/users.js';

interface ItemPage {
  items: ItemOut[];
  total: number;
  totalIsExact: boolean;
  nextCursor: string | null;
}

let app: App;
let owner: TestUser;
const tag = `cur${randomBytes(4).toString('hex')}`;
// Names and prices repeat on purpose: the id tie-breaker must order equal keys.
const seeds = [
  { name: 'Lamp', price: 10 },
  { name: 'lamp', price: 10 },
  { name: 'Desk', price: 99.5 },
  { name: 'Chair', price: 10 },
  { name: 'Lamp', price: 0.5 },
  { name: 'Bench', price: 42 },
  { name: 'Stool', price: 42 },
];

beforeAll(async () => {
  app = await buildTestApp();
  owner = await createUser(app);
  // One at a time, so creation times (and ids) follow the list's order.
  for (const seed of seeds) await createItem(app, owner, itemPayload({ ...seed, tags: [tag] }));
});
afterAll(() => app.close());

const list = (query: string) => app.inject({ method: 'GET', url: `/api/v1/items?tag=${tag}&${query}` });

async function walk(sort: string, limit: number): Promise<ItemPage[]> {
  const pages: ItemPage[] = [];
  let cursor: string | null = null;
  do {
    const response = await list(`sort=${sort}&limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`);
    expect(response.statusCode, response.body).toBe(200);
    const page = response.json<ItemPage>();
    pages.push(page);
    cursor = page.nextCursor;
  } while (cursor && pages.length < 20);
  return pages;
}

describe('paging by cursor', () => {
  it.each(['-createdAt', 'createdAt', 'name', '-name', 'price', '-price'])(
    'visits every item once, in the order of one big page (sort=%s)',
    async (sort) => {
      const all = (await list(`sort=${sort}&limit=100`)).json<ItemPage>();
      expect(all.items).toHaveLength(seeds.length);
      expect(all.nextCursor).toBeNull();
      const pages = await walk(sort, 2);
      expect(pages.map((page) => page.items.length)).toEqual([2, 2, 2, 1]);
      expect(pages.flatMap((page) => page.items.map((item) => item.id))).toEqual(all.items.map((item) => item.id));
      expect(pages.at(-1)!.nextCursor).toBeNull();
      expect(pages.every((page) => page.total === seeds.length && page.totalIsExact)).toBe(true);
    },
  );

  it('is stable while items are added: nothing repeats or goes missing (offsets would repeat one)', async () => {
    const local = `${tag}x`;
    for (const name of ['one', 'two', 'three', 'four']) {
      await createItem(app, owner, itemPayload({ name, tags: [local] }));
    }
    const first = (await app.inject({ method: 'GET', url: `/api/v1/items?tag=${local}&limit=2` })).json<ItemPage>();
    // A newer item sorts first (default sort -createdAt) and shifts every offset by one.
    await createItem(app, owner, itemPayload({ name: 'newest', tags: [local] }));
    const byCursor = (
      await app.inject({ method: 'GET', url: `/api/v1/items?tag=${local}&limit=2&cursor=${first.nextCursor}` })
    ).json<ItemPage>();
    const byOffset = (
      await app.inject({ method: 'GET', url: `/api/v1/items?tag=${local}&limit=2&skip=2` })
    ).json<ItemPage>();
    const names = (page: ItemPage) => page.items.map((item) => item.name);
    expect(names(first)).toEqual(['four', 'three']);
    expect(names(byCursor)).toEqual(['two', 'one']);
    expect(names(byOffset)).toEqual(['three', 'two']);
  });
});

describe('refused', () => {
  it('skip past MAX_ITEM_OFFSET: 422 naming the cursor', async () => {
    const response = await list(`skip=${MAX_ITEM_OFFSET + 1}`);
    expect(response.statusCode).toBe(422);
    expect(problemOf(response).errors).toEqual([
      expect.objectContaining({ path: '/querystring/skip', message: expect.stringContaining('cursor') }),
    ]);
    expect((await list(`skip=${MAX_ITEM_OFFSET}`)).statusCode).toBe(200);
  });

  it('a cursor with skip, a cursor of another sort, and a cursor that is not one', async () => {
    const [page] = await walk('name', 2);
    const cursor = page!.nextCursor!;
    const withSkip = await list(`sort=name&cursor=${cursor}&skip=2`);
    expect(withSkip.statusCode).toBe(422);
    expect(problemOf(withSkip).errors?.[0]?.path).toBe('/querystring/skip');
    const otherSort = await list(`sort=price&cursor=${cursor}`);
    expect(otherSort.statusCode).toBe(422);
    expect(problemOf(otherSort).errors?.[0]).toMatchObject({ path: '/querystring/cursor' });
    for (const forged of [
      'bm90LWpzb24',
      Buffer.from(JSON.stringify({ s: 'name', v: 5, id: 1 })).toString('base64url'),
      Buffer.from(JSON.stringify({ s: 'name', v: 'x', id: -1 })).toString('base64url'),
      Buffer.from('null').toString('base64url'),
    ]) {
      const response = await list(`sort=name&cursor=${forged}`);
      expect(response.statusCode, forged).toBe(422);
      expect(problemOf(response).errors?.[0]?.path).toBe('/querystring/cursor');
    }
    // Not base64url at all: the schema refuses it before the service sees it.
    expect((await list('sort=name&cursor=not%20a%20cursor')).statusCode).toBe(422);
  });
});
