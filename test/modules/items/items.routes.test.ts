import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../../src/compose/api.js';
import { buildTestApp, problemOf } from '../../helpers/app.js';
import { createItem } from '../../helpers/factories/items.js';
import { createAdmin, createUser, type TestUser } from '../../helpers/factories/users.js';

let app: App;
let owner: TestUser;
let other: TestUser;
let admin: TestUser;

const validItem = {
  name: 'Desk lamp',
  description: 'A warm light',
  price: 49.9,
  tax: 9.48,
  tags: ['light', 'office', 'light'],
  images: [
    { url: 'https://img.example.com/lamp-1.png', name: 'front' },
    { url: 'https://img.example.com/lamp-2.png', name: 'side' },
  ],
};

beforeAll(async () => {
  app = await buildTestApp();
  [owner, other, admin] = await Promise.all([createUser(app), createUser(app), createAdmin(app)]);
});
afterAll(() => app.close());

describe('POST /api/v1/items', () => {
  it('creates an item with nested images, deduplicated tags, 201 and Location', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/api/v1/items',
      headers: owner.headers,
      payload: validItem,
    });
    expect(response.statusCode).toBe(201);
    const item = response.json();
    expect(response.headers.location).toBe(`/api/v1/items/${item.id}`);
    expect(item).toMatchObject({
      ownerId: owner.id,
      name: 'Desk lamp',
      price: 49.9,
      tax: 9.48,
      tags: ['light', 'office'],
      images: validItem.images,
    });
    expect(Date.parse(item.createdAt)).not.toBeNaN();
  });

  it('leaves optional fields empty', async () => {
    const item = await createItem(app, owner, { name: 'Bare', price: 1 });
    expect(item).toMatchObject({ description: null, tax: null, tags: [], images: [] });
  });

  it('ignores an ownerId in the body: 422, it is not a field', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/api/v1/items',
      headers: owner.headers,
      payload: { ...validItem, ownerId: other.id },
    });
    expect(response.statusCode).toBe(422);
    expect(problemOf(response).errors).toContainEqual({
      path: '/body/ownerId',
      message: 'must NOT have additional properties',
    });
  });

  it('needs authentication (401 with WWW-Authenticate)', async () => {
    const response = await app.inject({ method: 'POST', url: '/api/v1/items', payload: validItem });
    expect(response.statusCode).toBe(401);
    expect(response.headers['www-authenticate']).toBe('Bearer');
    expect(problemOf(response).status).toBe(401);
  });

  it('lists every schema violation with its path, nested ones included', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/api/v1/items',
      headers: owner.headers,
      payload: {
        name: '',
        price: -1,
        tags: ['ok', 'not ok!'],
        images: [{ url: 'ftp://x', name: 'a' }, { name: 'no url' }],
      },
    });
    expect(response.statusCode).toBe(422);
    const problem = problemOf(response);
    expect(problem.title).toBe('Unprocessable Content');
    const paths = problem.errors!.map((e) => e.path);
    expect(paths).toEqual(
      expect.arrayContaining(['/body/name', '/body/price', '/body/tags/1', '/body/images/0/url', '/body/images/1/url']),
    );
  });

  it('applies the custom rule: tax may not exceed price', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/api/v1/items',
      headers: owner.headers,
      payload: { name: 'x', price: 10, tax: 11 },
    });
    expect(response.statusCode).toBe(422);
    expect(problemOf(response).errors).toEqual([{ path: '/body/tax', message: 'must not exceed price' }]);
  });
});

describe('GET /api/v1/items/:id', () => {
  it('reads an item anonymously, with an ETag, and answers 304 to If-None-Match', async () => {
    const created = await createItem(app, owner, validItem);
    const first = await app.inject({ method: 'GET', url: `/api/v1/items/${created.id}` });
    expect(first.statusCode).toBe(200);
    expect(first.json()).toMatchObject({ id: created.id, name: 'Desk lamp' });
    const etag = first.headers.etag as string;
    expect(etag).toBeTruthy();
    const second = await app.inject({
      method: 'GET',
      url: `/api/v1/items/${created.id}`,
      headers: { 'if-none-match': etag },
    });
    expect(second.statusCode).toBe(304);
    expect(second.body).toBe('');
  });

  it.each([
    ['abc', '/params/id'],
    ['0', '/params/id'],
    ['-5', '/params/id'],
    ['1.5', '/params/id'],
    // Found by the fuzzer: coerced to Infinity, it used to pass as an integer and reach Prisma.
    ['1e309', '/params/id'],
    ['2147483648', '/params/id'],
  ])('rejects the id %s with 422', async (id, path) => {
    const response = await app.inject({ method: 'GET', url: `/api/v1/items/${id}` });
    expect(response.statusCode).toBe(422);
    expect(problemOf(response).errors?.[0]?.path).toBe(path);
  });

  it('answers 404 for a missing item', async () => {
    const response = await app.inject({ method: 'GET', url: '/api/v1/items/2147483600' });
    expect(response.statusCode).toBe(404);
    expect(problemOf(response).detail).toBe('Item not found');
  });
});

describe('PUT and PATCH /api/v1/items/:id', () => {
  it('PUT replaces the whole item: fields left out return to their defaults', async () => {
    const created = await createItem(app, owner, validItem);
    const response = await app.inject({
      method: 'PUT',
      url: `/api/v1/items/${created.id}`,
      headers: owner.headers,
      payload: { name: 'Replaced', price: 5 },
    });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({
      id: created.id,
      name: 'Replaced',
      price: 5,
      description: null,
      tax: null,
      tags: [],
      images: [],
    });
  });

  it('PATCH changes only the fields sent and checks the rule against the merged item', async () => {
    const created = await createItem(app, owner, validItem);
    const patched = await app.inject({
      method: 'PATCH',
      url: `/api/v1/items/${created.id}`,
      headers: owner.headers,
      payload: { price: 60 },
    });
    expect(patched.statusCode).toBe(200);
    expect(patched.json()).toMatchObject({ price: 60, tax: 9.48, name: 'Desk lamp', images: validItem.images });

    const tooMuchTax = await app.inject({
      method: 'PATCH',
      url: `/api/v1/items/${created.id}`,
      headers: owner.headers,
      payload: { price: 5 },
    });
    expect(tooMuchTax.statusCode).toBe(422);
    const unchanged = await app.inject({ method: 'GET', url: `/api/v1/items/${created.id}` });
    expect(unchanged.json().price).toBe(60);
  });

  it('PATCH with images replaces them in order', async () => {
    const created = await createItem(app, owner, validItem);
    const images = [{ url: 'https://img.example.com/new.png', name: 'new' }];
    const response = await app.inject({
      method: 'PATCH',
      url: `/api/v1/items/${created.id}`,
      headers: owner.headers,
      payload: { images, tags: ['a', 'a', 'b'] },
    });
    expect(response.json()).toMatchObject({ images, tags: ['a', 'b'] });
  });

  it('PATCH with an empty body is 422', async () => {
    const created = await createItem(app, owner, validItem);
    const response = await app.inject({
      method: 'PATCH',
      url: `/api/v1/items/${created.id}`,
      headers: owner.headers,
      payload: {},
    });
    expect(response.statusCode).toBe(422);
  });

  it('another user gets 403; an admin may change it', async () => {
    const created = await createItem(app, owner, validItem);
    const forbidden = await app.inject({
      method: 'PATCH',
      url: `/api/v1/items/${created.id}`,
      headers: other.headers,
      payload: { name: 'Mine now' },
    });
    expect(forbidden.statusCode).toBe(403);
    expect(problemOf(forbidden).title).toBe('Forbidden');
    const byAdmin = await app.inject({
      method: 'PATCH',
      url: `/api/v1/items/${created.id}`,
      headers: admin.headers,
      payload: { name: 'Moderated' },
    });
    expect(byAdmin.statusCode).toBe(200);
    expect(byAdmin.json()).toMatchObject({ name: 'Moderated', ownerId: owner.id });
  });
});

describe('DELETE /api/v1/items/:id', () => {
  it('deletes with 204, then the item is gone', async () => {
    const created = await createItem(app, owner, validItem);
    const denied = await app.inject({ method: 'DELETE', url: `/api/v1/items/${created.id}`, headers: other.headers });
    expect(denied.statusCode).toBe(403);
    const response = await app.inject({ method: 'DELETE', url: `/api/v1/items/${created.id}`, headers: owner.headers });
    expect(response.statusCode).toBe(204);
    expect(response.body).toBe('');
    const again = await app.inject({ method: 'GET', url: `/api/v1/items/${created.id}` });
    expect(again.statusCode).toBe(404);
    const images = await app.prisma.itemImage.count({ where: { itemId: created.id } });
    expect(images).toBe(0);
  });
});

describe('GET /api/v1/items (list)', () => {
  let seller: TestUser;
  const tag = `t${Date.now().toString(36)}`;

  beforeAll(async () => {
    seller = await createUser(app);
    for (const [name, price] of [
      ['Alpha widget', 10],
      ['Beta widget', 20],
      ['Gamma gadget', 30],
      ['Delta gadget', 40],
    ] as const) {
      await createItem(app, seller, {
        name,
        price,
        tags: [tag],
        description: `${name} for testing`,
        images: [{ url: 'https://img.example.com/x.png', name }],
      });
    }
  });

  it('pages with skip and limit and reports the total', async () => {
    const response = await app.inject({ method: 'GET', url: `/api/v1/items?tag=${tag}&sort=price&skip=1&limit=2` });
    expect(response.statusCode).toBe(200);
    const page = response.json();
    expect(page).toMatchObject({ total: 4, totalIsExact: true, skip: 1, limit: 2 });
    expect(page.items.map((i: { name: string }) => i.name)).toEqual(['Beta widget', 'Gamma gadget']);
    expect(page.items[0].images).toHaveLength(1);
  });

  it('defaults to skip=0, limit=10, newest first', async () => {
    const page = (await app.inject({ method: 'GET', url: `/api/v1/items?tag=${tag}` })).json();
    expect(page).toMatchObject({ skip: 0, limit: 10, total: 4 });
    expect(page.items[0].name).toBe('Delta gadget');
  });

  it('searches whole words, two letters and up', async () => {
    const search = async (q: string) =>
      (await app.inject({ method: 'GET', url: `/api/v1/items?${new URLSearchParams({ tag, q })}` }))
        .json<{ items: { name: string }[] }>()
        .items.map((item) => item.name)
        .sort();
    expect(await search('gadget')).toEqual(['Delta gadget', 'Gamma gadget']);
    expect(await search('gad')).toEqual([]);
    expect(await search('widget -beta')).toEqual(['Alpha widget']);
    // Accepted (not 422) and answered: no item holds the word.
    expect(await search('tv')).toEqual([]);
  });

  it('filters by q (case-insensitive), price range and sorts descending', async () => {
    const page = (
      await app.inject({ method: 'GET', url: `/api/v1/items?tag=${tag}&q=GADGET&minPrice=25&maxPrice=35&sort=-name` })
    ).json();
    expect(page.total).toBe(1);
    expect(page.items[0].name).toBe('Gamma gadget');
    const sorted = (await app.inject({ method: 'GET', url: `/api/v1/items?tag=${tag}&sort=-name` })).json();
    expect(sorted.items.map((i: { name: string }) => i.name)).toEqual([
      'Gamma gadget',
      'Delta gadget',
      'Beta widget',
      'Alpha widget',
    ]);
  });

  it.each([
    ['limit=0', '/query/limit'],
    ['limit=101', '/query/limit'],
    ['skip=-1', '/query/skip'],
    ['q=a', '/query/q'],
    [`q=${'x'.repeat(51)}`, '/query/q'],
    ['sort=owner', '/query/sort'],
    ['minPrice=cheap', '/query/minPrice'],
    ['unknown=1', '/query/unknown'],
  ])('rejects %s with 422 naming %s', async (query, path) => {
    const response = await app.inject({ method: 'GET', url: `/api/v1/items?${query}` });
    expect(response.statusCode).toBe(422);
    expect(problemOf(response).errors?.map((e) => e.path)).toContain(path);
  });

  it('rejects minPrice above maxPrice with 422 naming both, instead of an empty page', async () => {
    const response = await app.inject({ method: 'GET', url: `/api/v1/items?tag=${tag}&minPrice=35&maxPrice=25` });
    expect(response.statusCode).toBe(422);
    const problem = problemOf(response);
    expect(problem).toMatchObject({ type: '/problems/validation-error', status: 422 });
    expect(problem.errors).toEqual([
      { path: '/query/minPrice', message: 'must not exceed maxPrice' },
      { path: '/query/maxPrice', message: 'must not be below minPrice' },
    ]);
  });

  it('accepts an equal minPrice and maxPrice (the range is inclusive)', async () => {
    const response = await app.inject({ method: 'GET', url: `/api/v1/items?tag=${tag}&minPrice=30&maxPrice=30` });
    expect(response.statusCode).toBe(200);
    expect(response.json().items.map((i: { name: string }) => i.name)).toEqual(['Gamma gadget']);
  });
});
