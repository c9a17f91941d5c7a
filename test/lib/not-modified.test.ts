// Finding 3: a 304 has no body and no content headers of its own. The routes used to send
// `null` through the JSON serializer: `Content-Type: application/json` and `Content-Length: 4`.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/compose/api.js';
import { buildTestApp } from '../helpers/app.js';
import { uploadFile } from '../helpers/factories/files.js';
import { createItem } from '../helpers/factories/items.js';
import { createUser, type TestUser } from '../helpers/factories/users.js';

let app: App;
let owner: TestUser;

beforeAll(async () => {
  app = await buildTestApp();
  owner = await createUser(app);
});
afterAll(() => app.close());

/** Asserts a bare 304 that still carries the validator, and returns it. */
async function notModified(url: string, headers: Record<string, string>) {
  const first = await app.inject({ method: 'GET', url, headers });
  expect(first.statusCode).toBe(200);
  const etag = first.headers.etag as string;
  const response = await app.inject({ method: 'GET', url, headers: { ...headers, 'if-none-match': etag } });
  expect(response.statusCode).toBe(304);
  expect(response.rawPayload).toHaveLength(0);
  expect(response.headers['content-type']).toBeUndefined();
  expect(response.headers['content-length']).toBeUndefined();
  expect(response.headers.etag).toBe(etag);
  return response;
}

describe('304 Not Modified', () => {
  it('on an item: no content headers, ETag and Cache-Control kept', async () => {
    const { id } = await createItem(app, owner);
    const response = await notModified(`/api/v1/items/${id}`, {});
    expect(response.headers['cache-control']).toBe('no-cache');
  });

  it('on a file download: no content headers, no Content-Disposition, ETag kept', async () => {
    const file = await uploadFile(app, owner, { filename: 'a.txt', content: 'hello' });
    const response = await notModified(`/api/v1/files/${file.id}/content`, owner.headers);
    expect(response.headers['content-disposition']).toBeUndefined();
    expect(response.headers['accept-ranges']).toBe('bytes');
  });
});
