// Finding 2: ids beyond PostgreSQL's int4 reached the database and failed there as a 500
// ("value out of range for type integer"). Every integer path and query parameter now has the
// bounds of its column: 422 before any query.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../../src/compose/api.js';
import { buildTestApp, problemOf } from '../../helpers/app.js';
import { createAdmin, type TestUser } from '../../helpers/factories/users.js';

let app: App;
let admin: TestUser;

beforeAll(async () => {
  app = await buildTestApp();
  admin = await createAdmin(app);
});
afterAll(() => app.close());

const TOO_BIG = ['2147483648', '3000000000', '99999999999999999999'];

describe('integer ids and offsets beyond int4', () => {
  it.each(TOO_BIG)('GET, PATCH and DELETE /api/v1/users/%s are 422 on /params/id', async (id) => {
    for (const method of ['GET', 'PATCH', 'DELETE'] as const) {
      const response = await app.inject({
        method,
        url: `/api/v1/users/${id}`,
        headers: admin.headers,
        ...(method === 'PATCH' ? { payload: { name: 'x' } } : {}),
      });
      expect(response.statusCode, `${method} ${id}`).toBe(422);
      expect(problemOf(response).errors).toContainEqual({ path: '/params/id', message: 'must be <= 2147483647' });
    }
  });

  it.each(['/api/v1/items/3000000000', '/api/v1/users/me/api-keys/3000000000'])('GET %s is 422', async (url) => {
    const response = await app.inject({ method: 'GET', url, headers: admin.headers });
    expect(response.statusCode).toBe(422);
  });

  it.each([
    '/api/v1/items',
    '/api/v1/users',
    '/api/v1/files',
    '/api/v1/users/me/api-keys',
    '/api/v1/jobs?queue=email&',
  ])('%s?skip=1e20 is 422, not a 500', async (url) => {
    const response = await app.inject({
      method: 'GET',
      url: `${url}${url.includes('?') ? '' : '?'}skip=99999999999999999999`,
      headers: admin.headers,
    });
    expect(response.statusCode).toBe(422);
    expect(problemOf(response).errors?.map((error) => error.path)).toContain('/query/skip');
  });

  it('the largest int4 id is a plain 404', async () => {
    expect(
      (await app.inject({ method: 'GET', url: '/api/v1/users/2147483647', headers: admin.headers })).statusCode,
    ).toBe(404);
  });
});
