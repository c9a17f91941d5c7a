// Items for tests: a valid body, and an item created through the API by its owner.
import { randomBytes, randomInt } from 'node:crypto';
import { expect } from 'vitest';
import type { App } from '../../../src/compose/api.js';
import type { Item, ItemData } from '../../../src/modules/items/items.schemas.js';
import type { Json } from './json.js';

/** The body of POST/PUT /api/v1/items, arrays readonly so test tables written `as const` fit. */
export type ItemInput = {
  [K in keyof ItemData]: ItemData[K] extends (infer E)[] | undefined ? readonly E[] : ItemData[K];
};

/** An item as the API answers it (its dates as JSON strings). */
export type ItemOut = Json<Item>;

/** A valid item body with a unique name and a price of two decimals; overrides win. */
export function itemPayload(overrides: Partial<ItemInput> = {}): ItemInput {
  const label = randomBytes(4).toString('hex');
  return {
    name: `Item ${label}`,
    description: `Test item ${label}`,
    price: randomInt(100, 100_000) / 100,
    ...overrides,
  };
}

/** POSTs the body (a random valid one by default) as `owner` and expects 201. */
export async function createItem(
  app: App,
  owner: { headers: Record<string, string> },
  body: ItemInput = itemPayload(),
): Promise<ItemOut> {
  const response = await app.inject({ method: 'POST', url: '/api/v1/items', headers: owner.headers, payload: body });
  expect(response.statusCode, response.body).toBe(201);
  return response.json<ItemOut>();
}
