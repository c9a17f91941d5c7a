// Personal API keys for tests, created through the API by their owner.
import { expect } from 'vitest';
import type { App } from '../../../src/compose/api.js';

/** The creation answer: the only one that ever holds the key. */
export interface CreatedApiKey {
  id: number;
  key: string;
  prefix: string;
  name: string;
  lastUsedAt: string | null;
}

export async function createApiKey(
  app: App,
  owner: { headers: Record<string, string> },
  name = 'ci',
): Promise<CreatedApiKey> {
  const response = await app.inject({
    method: 'POST',
    url: '/api/v1/users/me/api-keys',
    headers: owner.headers,
    payload: { name },
  });
  expect(response.statusCode, response.body).toBe(201);
  return response.json<CreatedApiKey>();
}
