// Money end to end: JSON and CSV accept every amount with at most two decimals and refuse a
// third, and the amount comes back exactly as sent (numeric(12,2) in PostgreSQL).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../../src/compose/api.js';
import { itemFromRow } from '../../../src/modules/imports/csv-items.js';
import { buildTestApp, problemOf } from '../../helpers/app.js';
import { createUser, type TestUser } from '../../helpers/factories/users.js';

let app: App;
let owner: TestUser;

beforeAll(async () => {
  app = await buildTestApp();
  owner = await createUser(app);
});
afterAll(() => app.close());

const CENTS = [19.99, 0.07, 1.15, 12.34, 0.01, 999_999_999.99, 1_000_000_000];

describe('money in JSON bodies', () => {
  it.each(CENTS)('POST, GET, PUT and PATCH keep %d exactly', async (price) => {
    const created = await app.inject({
      method: 'POST',
      url: '/api/v1/items',
      headers: owner.headers,
      payload: { name: 'x', price, tax: price },
    });
    expect(created.statusCode, created.body).toBe(201);
    expect(created.json()).toMatchObject({ price, tax: price });
    const url = `/api/v1/items/${created.json<{ id: number }>().id}`;
    expect((await app.inject({ method: 'GET', url })).json()).toMatchObject({ price, tax: price });
    const replaced = await app.inject({ method: 'PUT', url, headers: owner.headers, payload: { name: 'y', price } });
    expect(replaced.statusCode, replaced.body).toBe(200);
    expect(replaced.json<{ price: number }>().price).toBe(price);
    const patched = await app.inject({ method: 'PATCH', url, headers: owner.headers, payload: { tax: price } });
    expect(patched.statusCode, patched.body).toBe(200);
    expect(patched.json<{ tax: number }>().tax).toBe(price);
  });

  it.each([19.999, 0.001, 1.155, 12.345])('refuses %d (a third decimal) with 422 on price and tax', async (amount) => {
    const response = await app.inject({
      method: 'POST',
      url: '/api/v1/items',
      headers: owner.headers,
      payload: { name: 'x', price: amount, tax: amount },
    });
    expect(response.statusCode).toBe(422);
    const { errors } = problemOf(response);
    expect(errors).toContainEqual({ path: '/body/price', message: 'must have at most 2 decimals' });
    expect(errors).toContainEqual({ path: '/body/tax', message: 'must have at most 2 decimals' });
  });
});

describe('money in CSV rows: the same rule', () => {
  it.each(CENTS)('accepts %d', (price) => {
    expect(itemFromRow({ name: 'x', price: String(price), tax: String(price) })).toMatchObject({
      ok: true,
      item: { price, tax: price },
    });
  });

  it.each(['19.999', '0.001', '1.155'])('refuses %s', (price) => {
    expect(itemFromRow({ name: 'x', price })).toEqual({ ok: false, message: 'price: must have at most 2 decimals' });
    expect(itemFromRow({ name: 'x', price: '5', tax: price })).toEqual({
      ok: false,
      message: 'tax: must have at most 2 decimals',
    });
  });
});
