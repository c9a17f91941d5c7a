// Personal API keys: shown once, stored as a SHA-256 hash, accepted as X-API-Key on protected
// routes (on every instance), refused once revoked or when made up.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../../src/compose/api.js';
import { hashToken } from '../../../src/modules/auth/tokens.js';
import { buildTestApp, problemOf } from '../../helpers/app.js';
import { randomIp } from '../../helpers/factories/clients.js';
import { createApiKey } from '../../helpers/factories/api-keys.js';
import { createUser, type TestUser } from '../../helpers/factories/users.js';

let app: App;
let other: App;

beforeAll(async () => {
  [app, other] = await Promise.all([buildTestApp(), buildTestApp()]);
});
afterAll(() => Promise.all([app.close(), other.close()]));

const URL = '/api/v1/users/me/api-keys';

const meWithKey = (target: App, key: string) =>
  target.inject({ method: 'GET', url: '/api/v1/users/me', headers: { 'x-api-key': key } });

describe('API keys', () => {
  it('creates a key shown once: recognizable prefix + 32 random bytes, stored as SHA-256', async () => {
    const user = await createUser(app);
    const response = await app.inject({
      method: 'POST',
      url: URL,
      headers: user.headers,
      payload: { name: 'deploys' },
    });
    expect(response.statusCode).toBe(201);
    expect(response.headers['cache-control']).toBe('no-store');
    const created = response.json();
    expect(response.headers.location).toBe(`${URL}/${created.id}`);
    expect(created).toMatchObject({ name: 'deploys', lastUsedAt: null });
    expect(created.key).toMatch(/^ftk_[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(created.key.slice(4), 'base64url')).toHaveLength(32);
    expect(created.key.startsWith(created.prefix)).toBe(true);

    const row = await app.prisma.apiKey.findUniqueOrThrow({ where: { id: created.id } });
    expect(row.keyHash).toBe(hashToken(created.key));
    expect(JSON.stringify(row)).not.toContain(created.key);

    const list = await app.inject({ method: 'GET', url: URL, headers: user.headers });
    expect(list.statusCode).toBe(200);
    expect(list.json()).toMatchObject({ total: 1, skip: 0, limit: 10 });
    expect(list.body).not.toContain(created.key);
    expect(list.body).not.toContain(row.keyHash);
    expect(Object.keys(list.json().items[0]).sort()).toEqual(['createdAt', 'id', 'lastUsedAt', 'name', 'prefix']);
  });

  it('GET /:id answers one key, metadata only: never the key nor its hash', async () => {
    const user = await createUser(app);
    const created = await createApiKey(app, user, 'reader');
    await meWithKey(app, created.key);

    const response = await app.inject({ method: 'GET', url: `${URL}/${created.id}`, headers: user.headers });
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(Object.keys(body).sort()).toEqual(['createdAt', 'id', 'lastUsedAt', 'name', 'prefix']);
    expect(body).toMatchObject({ id: created.id, name: 'reader', prefix: created.prefix });
    expect(body.lastUsedAt).toEqual(expect.any(String));
    expect(Date.parse(body.createdAt)).not.toBeNaN();
    const row = await app.prisma.apiKey.findUniqueOrThrow({ where: { id: created.id } });
    expect(response.body).not.toContain(created.key);
    expect(response.body).not.toContain(row.keyHash);
    expect(response.body).not.toMatch(/keyHash|key_hash|"key"/);
    // Same shape as the list entry.
    const listed = (await app.inject({ method: 'GET', url: URL, headers: user.headers })).json().items[0];
    expect(body).toEqual(listed);
  });

  it("GET /:id: someone else's key, a revoked key and a missing key are 404; a bad id is 422", async () => {
    const owner = await createUser(app);
    const stranger = await createUser(app);
    const { id } = await createApiKey(app, owner);
    const get = (user: TestUser, keyId: string | number) =>
      app.inject({ method: 'GET', url: `${URL}/${keyId}`, headers: user.headers });

    const foreign = await get(stranger, id);
    expect(foreign.statusCode).toBe(404);
    expect(problemOf(foreign).detail).toBe('API key not found');
    expect((await get(owner, 2147483647)).statusCode).toBe(404);
    expect((await app.inject({ method: 'DELETE', url: `${URL}/${id}`, headers: owner.headers })).statusCode).toBe(204);
    expect((await get(owner, id)).statusCode).toBe(404);

    for (const bad of ['abc', '0', '-1', '1.5', '2147483648']) {
      const response = await get(owner, bad);
      expect(response.statusCode, bad).toBe(422);
      expect(problemOf(response).errors?.map((e) => e.path)).toContain('/params/id');
    }
  });

  it('GET /:id needs a bearer token: 401 without credentials, 403 with an API key', async () => {
    const user = await createUser(app);
    const { id, key } = await createApiKey(app, user);
    expect((await app.inject({ method: 'GET', url: `${URL}/${id}` })).statusCode).toBe(401);
    expect((await app.inject({ method: 'GET', url: `${URL}/${id}`, headers: { 'x-api-key': key } })).statusCode).toBe(
      403,
    );
  });

  it('GET /:id is in the OpenAPI document with its response schema', async () => {
    const document = (await app.inject({ method: 'GET', url: '/openapi.json' })).json();
    const operation = document.paths['/api/v1/users/me/api-keys/{id}'].get;
    expect(operation.security).toEqual([{ OAuth2PasswordBearer: [] }]);
    const schema = operation.responses['200'].content['application/json'].schema;
    const resolved = schema.$ref ? document.components.schemas[schema.$ref.split('/').pop()] : schema;
    expect(Object.keys(resolved.properties).sort()).toEqual(['createdAt', 'id', 'lastUsedAt', 'name', 'prefix']);
    // 429 and 503 are added to every rate-limited operation by src/lib/openapi.ts.
    expect(Object.keys(operation.responses).sort()).toEqual(['200', '401', '403', '404', '422', '429', '503']);
  });

  it('X-API-Key authenticates as the owner on protected routes, on any instance, and records the last use', async () => {
    const user = await createUser(app);
    const { id, key } = await createApiKey(app, user);
    const response = await meWithKey(other, key);
    expect(response.statusCode).toBe(200);
    expect(response.json().email).toBe(user.email);

    const item = await app.inject({
      method: 'POST',
      url: '/api/v1/items',
      headers: { 'x-api-key': key },
      payload: { name: 'via key', price: 3 },
    });
    expect(item.statusCode).toBe(201);
    expect(item.json().ownerId).toBe(user.id);

    const row = await app.prisma.apiKey.findUniqueOrThrow({ where: { id } });
    expect(row.lastUsedAt).not.toBeNull();
  });

  it('a revoked key gets 401 at once on every instance; deleting twice is 404', async () => {
    const user = await createUser(app);
    const { id, key } = await createApiKey(app, user);
    expect((await meWithKey(other, key)).statusCode).toBe(200);
    const deleted = await app.inject({ method: 'DELETE', url: `${URL}/${id}`, headers: user.headers });
    expect(deleted.statusCode).toBe(204);
    const refused = await meWithKey(other, key);
    expect(refused.statusCode).toBe(401);
    expect(problemOf(refused).detail).toBe('The API key is invalid or revoked');
    expect((await app.inject({ method: 'DELETE', url: `${URL}/${id}`, headers: user.headers })).statusCode).toBe(404);
    expect((await app.inject({ method: 'GET', url: URL, headers: user.headers })).json().total).toBe(0);
  });

  it.each([['ftk_' + 'A'.repeat(43)], ['not-a-key'], [''], ['ftk_' + 'A'.repeat(5000)]])(
    'refuses a made-up key %#',
    async (key) => {
      const response = await meWithKey(app, key);
      expect(response.statusCode).toBe(401);
      problemOf(response);
    },
  );

  it('a key of a deactivated user stops working', async () => {
    const user = await createUser(app);
    const { key } = await createApiKey(app, user);
    await app.prisma.user.update({ where: { id: user.id }, data: { isActive: false } });
    expect((await meWithKey(app, key)).statusCode).toBe(401);
  });

  it("cannot see or delete someone else's key (404)", async () => {
    const owner = await createUser(app);
    const stranger = await createUser(app);
    const { id, key } = await createApiKey(app, owner);
    expect((await app.inject({ method: 'DELETE', url: `${URL}/${id}`, headers: stranger.headers })).statusCode).toBe(
      404,
    );
    expect((await app.inject({ method: 'GET', url: URL, headers: stranger.headers })).json().total).toBe(0);
    expect((await meWithKey(app, key)).statusCode).toBe(200);
  });

  it('keys are managed with a bearer token only: an API key cannot mint or delete keys (403)', async () => {
    const user = await createUser(app);
    const { id, key } = await createApiKey(app, user);
    const mint = await app.inject({
      method: 'POST',
      url: URL,
      headers: { 'x-api-key': key },
      payload: { name: 'persistence' },
    });
    expect(mint.statusCode).toBe(403);
    expect(
      (await app.inject({ method: 'DELETE', url: `${URL}/${id}`, headers: { 'x-api-key': key } })).statusCode,
    ).toBe(403);
    expect(await app.prisma.apiKey.count({ where: { userId: user.id } })).toBe(1);
  });

  it('needs authentication (401) and validates input (422)', async () => {
    const user = await createUser(app);
    expect((await app.inject({ method: 'GET', url: URL })).statusCode).toBe(401);
    const noName = await app.inject({ method: 'POST', url: URL, headers: user.headers, payload: {} });
    expect(noName.statusCode).toBe(422);
    expect(problemOf(noName).errors?.map((e) => e.path)).toContain('/body/name');
    expect((await app.inject({ method: 'DELETE', url: `${URL}/abc`, headers: user.headers })).statusCode).toBe(422);
    expect(await app.prisma.apiKey.count({ where: { userId: user.id } })).toBe(0);
  });

  it('caps the number of live keys per user (409)', async () => {
    const user = await createUser(app);
    await app.prisma.apiKey.createMany({
      data: Array.from({ length: 25 }, (_, i) => ({
        userId: user.id,
        name: `k${i}`,
        prefix: 'ftk_x',
        keyHash: hashToken(`${user.id}-${i}`),
      })),
    });
    const response = await app.inject({
      method: 'POST',
      url: URL,
      headers: user.headers,
      payload: { name: 'one too many' },
    });
    expect(response.statusCode).toBe(409);
    expect(await app.prisma.apiKey.count({ where: { userId: user.id } })).toBe(25);
  });

  it('a bearer token wins over X-API-Key; a bad bearer is not rescued by a good key', async () => {
    const user = await createUser(app);
    const { key } = await createApiKey(app, user);
    const response = await app.inject({
      method: 'GET',
      url: '/api/v1/users/me',
      headers: { authorization: 'Bearer nonsense', 'x-api-key': key },
    });
    expect(response.statusCode).toBe(401);
  });
});

describe('failed key lookups (the credential rate limit, per client and key prefix)', () => {
  let limited: App;
  let down: App;
  beforeAll(async () => {
    [limited, down] = await Promise.all([
      buildTestApp({ env: { LOGIN_RATE_LIMIT_MAX: '3' } }),
      buildTestApp({ env: { LOGIN_RATE_LIMIT_MAX: '3', REDIS_URL: 'redis://127.0.0.1:1' } }),
    ]);
  });
  afterAll(() => Promise.all([limited.close(), down.close()]));

  const me = (target: App, key: string, remoteAddress: string) =>
    target.inject({ method: 'GET', url: '/api/v1/users/me', remoteAddress, headers: { 'x-api-key': key } });
  /** A well-formed key that does not exist, with the given 12-character prefix. */
  const guess = (prefix: string) => (prefix + randomBytes(48).toString('base64url')).slice(0, 47);

  it('answers 429 with Retry-After after LOGIN_RATE_LIMIT_MAX wrong keys of one prefix from one client', async () => {
    const { key, prefix } = await createApiKey(app, await createUser(app));
    const attacker = randomIp();
    const statuses = [];
    for (let i = 0; i < 6; i++) statuses.push((await me(limited, guess(prefix), attacker)).statusCode);
    expect(statuses).toEqual([401, 401, 401, 429, 429, 429]);
    const refused = await me(limited, key, attacker);
    expect(refused.statusCode).toBe(429);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expect(problemOf(refused).detail).toMatch(/Too many attempts/);
    // The owner elsewhere is not slowed.
    expect((await me(limited, key, randomIp())).statusCode).toBe(200);
    // Garbage is counted too.
    const scanner = randomIp();
    for (let i = 0; i < 3; i++) expect((await me(limited, 'not-a-key', scanner)).statusCode).toBe(401);
    expect((await me(limited, 'not-a-key', scanner)).statusCode).toBe(429);
  });

  it('never counts a valid key, and failures on other prefixes from the same client do not slow it', async () => {
    const { key } = await createApiKey(app, await createUser(app));
    const client = randomIp();
    for (let i = 0; i < 8; i++) expect((await me(limited, key, client)).statusCode).toBe(200);
    // A neighbour behind the same address uses a revoked or mistyped key, over and over.
    for (let i = 0; i < 5; i++)
      expect((await me(limited, guess('ftk_mistyped'), client)).statusCode).toBe(i < 3 ? 401 : 429);
    expect((await me(limited, key, client)).statusCode).toBe(200);
  });

  it('keeps working while Redis is down (256 random bits are not guessable; the API stays up)', async () => {
    const { key, prefix } = await createApiKey(app, await createUser(app));
    const client = randomIp();
    expect((await me(down, key, client)).statusCode).toBe(200);
    expect((await me(down, guess(prefix), client)).statusCode).toBe(401);
  });
});
