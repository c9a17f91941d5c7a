// Contract test: every response of the main flows, success and error cases, is checked against
// the document the app publishes (status, media type, body schema, headers), by openapi-backend
// (see ./contract.ts). A response the document does not describe fails the test that made it.
import { randomInt } from 'node:crypto';
import type { InjectOptions } from 'fastify';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/compose/api.js';
import { buildTestApp } from '../helpers/app.js';
import { randomIp } from '../helpers/factories/clients.js';
import { createAdmin, createUser, type TestUser } from '../helpers/factories/users.js';
import { multipart } from '../modules/files/multipart.js';
import { contractValidator, type ContractValidator } from './contract.js';

type Call = InjectOptions & { method: NonNullable<InjectOptions['method']>; url: string };

// Small limits to reach 413 cheaply; no load shedding (a busy CI host must not turn a flow into 503s).
const LIMITS = { BODY_LIMIT: '4096', MAX_UPLOAD_BYTES: '2048', MAX_EVENT_LOOP_DELAY: '0' };

let app: App;
let contract: ContractValidator;
let owner: TestUser;
let other: TestUser;
let admin: TestUser;
const problems: string[] = [];
const exercised = new Set<string>();

async function call(options: Call, target: App = app) {
  const response = await target.inject(options);
  const result = contract.check({ method: String(options.method).toUpperCase(), url: options.url }, response);
  if (result.operationId) exercised.add(`${result.operationId} ${response.statusCode}`);
  problems.push(...result.problems);
  return response;
}

beforeAll(async () => {
  app = await buildTestApp({ env: LIMITS });
  contract = await contractValidator(app.swagger() as Record<string, unknown>);
  [owner, other, admin] = await Promise.all([createUser(app), createUser(app), createAdmin(app)]);
});
afterAll(() => app.close());
afterEach(() => {
  expect(problems.splice(0)).toEqual([]);
});

const json = (user?: TestUser) => ({ ...user?.headers });

describe('auth', () => {
  it('register, token (JSON and form), refresh, logout and their errors', async () => {
    const email = `contract-${randomInt(1e9)}@example.com`;
    const password = 'a long enough password';
    expect(
      (await call({ method: 'POST', url: '/api/v1/auth/register', payload: { email, password, name: 'Contract' } }))
        .statusCode,
    ).toBe(202);
    expect(
      (
        await call({
          method: 'POST',
          url: '/api/v1/auth/register',
          payload: { email: 'not-an-email', password, name: 'x' },
        })
      ).statusCode,
    ).toBe(422);

    const login = await call({ method: 'POST', url: '/api/v1/auth/token', payload: { username: email, password } });
    expect(login.statusCode).toBe(200);
    const form = await call({
      method: 'POST',
      url: '/api/v1/auth/token',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ grant_type: 'password', username: email, password }).toString(),
    });
    expect(form.statusCode).toBe(200);
    expect(
      (
        await call({
          method: 'POST',
          url: '/api/v1/auth/token',
          payload: { username: email, password: 'wrong password' },
        })
      ).statusCode,
    ).toBe(401);

    const { refresh_token: refreshToken } = login.json<{ refresh_token: string }>();
    const refreshed = await call({
      method: 'POST',
      url: '/api/v1/auth/refresh',
      payload: { refresh_token: refreshToken },
    });
    expect(refreshed.statusCode).toBe(200);
    expect(
      (await call({ method: 'POST', url: '/api/v1/auth/refresh', payload: { refresh_token: 'not-a-token' } }))
        .statusCode,
    ).toBe(401);

    const access = { authorization: `Bearer ${refreshed.json<{ access_token: string }>().access_token}` };
    expect((await call({ method: 'POST', url: '/api/v1/auth/logout', headers: access })).statusCode).toBe(204);
    expect((await call({ method: 'POST', url: '/api/v1/auth/logout', headers: access })).statusCode).toBe(401);
  });

  it('password reset request and a bad confirmation', async () => {
    expect(
      (await call({ method: 'POST', url: '/api/v1/auth/password-reset/request', payload: { email: owner.email } }))
        .statusCode,
    ).toBe(202);
    expect(
      (
        await call({
          method: 'POST',
          url: '/api/v1/auth/password-reset/confirm',
          payload: { token: 'nope', password: 'a new long password' },
        })
      ).statusCode,
    ).toBe(400);
  });
});

describe('users', () => {
  it('me: read, change, invalid change, unauthenticated', async () => {
    expect((await call({ method: 'GET', url: '/api/v1/users/me', headers: json(owner) })).statusCode).toBe(200);
    expect(
      (await call({ method: 'PATCH', url: '/api/v1/users/me', headers: json(owner), payload: { name: 'Renamed' } }))
        .statusCode,
    ).toBe(200);
    expect(
      (await call({ method: 'PATCH', url: '/api/v1/users/me', headers: json(owner), payload: {} })).statusCode,
    ).toBe(422);
    expect((await call({ method: 'GET', url: '/api/v1/users/me' })).statusCode).toBe(401);
  });

  it('admin: list, by role, read, change, 403 and 404', async () => {
    expect((await call({ method: 'GET', url: '/api/v1/users?limit=5', headers: json(admin) })).statusCode).toBe(200);
    expect((await call({ method: 'GET', url: '/api/v1/users/role/ADMIN', headers: json(admin) })).statusCode).toBe(200);
    expect((await call({ method: 'GET', url: `/api/v1/users/${other.id}`, headers: json(admin) })).statusCode).toBe(
      200,
    );
    expect(
      (
        await call({
          method: 'PATCH',
          url: `/api/v1/users/${other.id}`,
          headers: json(admin),
          payload: { name: 'Other' },
        })
      ).statusCode,
    ).toBe(200);
    expect((await call({ method: 'GET', url: '/api/v1/users', headers: json(owner) })).statusCode).toBe(403);
    expect((await call({ method: 'GET', url: '/api/v1/users/2147483647', headers: json(admin) })).statusCode).toBe(404);
    expect((await call({ method: 'GET', url: '/api/v1/users/3000000000', headers: json(admin) })).statusCode).toBe(422);
  });
});

describe('items', () => {
  it('CRUD, list, 304, and 401/403/404/422', async () => {
    const created = await call({
      method: 'POST',
      url: '/api/v1/items',
      headers: json(owner),
      payload: { name: 'Contract lamp', price: 19.99, tax: 1.15, tags: ['a'] },
    });
    expect(created.statusCode).toBe(201);
    const url = created.headers.location as string;

    expect((await call({ method: 'GET', url: '/api/v1/items?limit=2&sort=-price&minPrice=1' })).statusCode).toBe(200);
    const read = await call({ method: 'GET', url });
    expect(read.statusCode).toBe(200);
    const notModified = await call({ method: 'GET', url, headers: { 'if-none-match': read.headers.etag as string } });
    expect(notModified.statusCode).toBe(304);
    expect(
      (await call({ method: 'PUT', url, headers: json(owner), payload: { name: 'Lamp', price: 0.07 } })).statusCode,
    ).toBe(200);
    expect((await call({ method: 'PATCH', url, headers: json(owner), payload: { price: 12.34 } })).statusCode).toBe(
      200,
    );
    expect((await call({ method: 'PATCH', url, headers: json(other), payload: { price: 1 } })).statusCode).toBe(403);
    expect((await call({ method: 'POST', url: '/api/v1/items', payload: { name: 'x', price: 1 } })).statusCode).toBe(
      401,
    );
    expect(
      (
        await call({
          method: 'POST',
          url: '/api/v1/items',
          headers: json(owner),
          payload: { name: 'x', price: 19.999 },
        })
      ).statusCode,
    ).toBe(422);
    expect((await call({ method: 'DELETE', url, headers: json(owner) })).statusCode).toBe(204);
    expect((await call({ method: 'GET', url })).statusCode).toBe(404);
    expect((await call({ method: 'GET', url: '/api/v1/items/export.csv?tag=a' })).statusCode).toBe(200);
  });

  it('400 malformed JSON, 413 too large, 415 not JSON', async () => {
    const post = (headers: Record<string, string>, payload: string) =>
      call({ method: 'POST', url: '/api/v1/items', headers: { ...json(owner), ...headers }, payload });
    expect((await post({ 'content-type': 'application/json' }, '{"name":')).statusCode).toBe(400);
    expect(
      (await post({ 'content-type': 'application/json' }, JSON.stringify({ name: 'x'.repeat(5000), price: 1 })))
        .statusCode,
    ).toBe(413);
    expect((await post({ 'content-type': 'text/plain' }, '{"name":"x","price":1}')).statusCode).toBe(415);
  });
});

describe('files', () => {
  const upload = (user: TestUser, parts: Parameters<typeof multipart>[0]) => {
    const form = multipart(parts);
    return call({
      method: 'POST',
      url: '/api/v1/files',
      headers: { ...user.headers, ...form.headers },
      payload: form.payload,
    });
  };

  it('upload, list, metadata, download, range, 304, 416, HEAD, delete', async () => {
    const uploaded = await upload(owner, [
      { name: 'file', filename: 'notes.txt', contentType: 'text/plain', content: '0123456789' },
    ]);
    expect(uploaded.statusCode).toBe(201);
    const [file] = uploaded.json<Array<{ id: string }>>();
    const base = `/api/v1/files/${file?.id}`;
    expect((await call({ method: 'GET', url: '/api/v1/files', headers: json(owner) })).statusCode).toBe(200);
    expect((await call({ method: 'GET', url: base, headers: json(owner) })).statusCode).toBe(200);
    const download = await call({ method: 'GET', url: `${base}/content`, headers: json(owner) });
    expect(download.statusCode).toBe(200);
    expect(
      (await call({ method: 'GET', url: `${base}/content`, headers: { ...owner.headers, range: 'bytes=2-4' } }))
        .statusCode,
    ).toBe(206);
    expect(
      (
        await call({
          method: 'GET',
          url: `${base}/content`,
          headers: { ...owner.headers, 'if-none-match': download.headers.etag as string },
        })
      ).statusCode,
    ).toBe(304);
    expect(
      (await call({ method: 'GET', url: `${base}/content`, headers: { ...owner.headers, range: 'bytes=100-' } }))
        .statusCode,
    ).toBe(416);
    expect((await call({ method: 'HEAD', url: `${base}/content`, headers: json(owner) })).statusCode).toBe(200);
    expect((await call({ method: 'GET', url: base, headers: json(other) })).statusCode).toBe(404);
    expect((await call({ method: 'DELETE', url: base, headers: json(owner) })).statusCode).toBe(204);
    expect((await call({ method: 'GET', url: `${base}/content`, headers: json(owner) })).statusCode).toBe(404);
  });

  it('413 over MAX_UPLOAD_BYTES, 415 for a refused type or a JSON body', async () => {
    expect(
      (
        await upload(owner, [
          { name: 'file', filename: 'big.txt', contentType: 'text/plain', content: 'x'.repeat(3000) },
        ])
      ).statusCode,
    ).toBe(413);
    expect(
      (await upload(owner, [{ name: 'file', filename: 'run.sh', contentType: 'application/x-sh', content: 'echo' }]))
        .statusCode,
    ).toBe(415);
    expect(
      (await call({ method: 'POST', url: '/api/v1/files', headers: json(owner), payload: { file: 'x' } })).statusCode,
    ).toBe(415);
  });
});

describe('jobs and reports', () => {
  it('an admin queues a report and follows its job; others get 403/404', async () => {
    const queued = await call({ method: 'POST', url: '/api/v1/reports/items', headers: json(admin) });
    expect(queued.statusCode).toBe(202);
    expect(
      (await call({ method: 'GET', url: queued.headers.location as string, headers: json(admin) })).statusCode,
    ).toBe(200);
    expect(
      (await call({ method: 'GET', url: queued.headers.location as string, headers: json(owner) })).statusCode,
    ).toBe(404);
    expect(
      (await call({ method: 'GET', url: '/api/v1/jobs?queue=reports&limit=5', headers: json(admin) })).statusCode,
    ).toBe(200);
    expect((await call({ method: 'GET', url: '/api/v1/jobs?queue=reports', headers: json(owner) })).statusCode).toBe(
      403,
    );
    expect((await call({ method: 'POST', url: '/api/v1/reports/items', headers: json(owner) })).statusCode).toBe(403);
  });
});

describe('API keys', () => {
  it('create, list, read, use, revoke', async () => {
    const created = await call({
      method: 'POST',
      url: '/api/v1/users/me/api-keys',
      headers: json(owner),
      payload: { name: 'contract' },
    });
    expect(created.statusCode).toBe(201);
    const { key } = created.json<{ key: string }>();
    expect((await call({ method: 'GET', url: '/api/v1/users/me/api-keys', headers: json(owner) })).statusCode).toBe(
      200,
    );
    expect(
      (await call({ method: 'GET', url: created.headers.location as string, headers: json(owner) })).statusCode,
    ).toBe(200);
    expect((await call({ method: 'GET', url: '/api/v1/users/me', headers: { 'x-api-key': key } })).statusCode).toBe(
      200,
    );
    expect(
      (await call({ method: 'DELETE', url: created.headers.location as string, headers: json(owner) })).statusCode,
    ).toBe(204);
    expect(
      (await call({ method: 'GET', url: created.headers.location as string, headers: json(owner) })).statusCode,
    ).toBe(404);
  });
});

describe('system', () => {
  it('info and health', async () => {
    expect((await call({ method: 'GET', url: '/api/v1/info' })).statusCode).toBe(200);
    expect((await call({ method: 'GET', url: '/health/live' })).statusCode).toBe(200);
    expect((await call({ method: 'GET', url: '/health/ready' })).statusCode).toBe(200);
  });
});

describe('429', () => {
  let limited: App;
  beforeAll(async () => {
    limited = await buildTestApp({ env: { ...LIMITS, RATE_LIMIT_MAX: '2', RATE_LIMIT_WINDOW: '1m' } });
  });
  afterAll(() => limited.close());

  it('the global limit answers 429 as documented, on GET and on a body operation', async () => {
    const remoteAddress = randomIp();
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++)
      statuses.push((await call({ method: 'GET', url: '/api/v1/items', remoteAddress }, limited)).statusCode);
    statuses.push(
      (await call({ method: 'POST', url: '/api/v1/items', remoteAddress, payload: { name: 'x', price: 1 } }, limited))
        .statusCode,
    );
    expect(statuses).toEqual([200, 200, 429, 429]);
  });
});

describe('coverage of the flows', () => {
  it('exercised every main operation and error status', () => {
    const expected = [
      'register 202',
      'register 422',
      'login 200',
      'login 401',
      'refreshToken 200',
      'refreshToken 401',
      'logout 204',
      'logout 401',
      'getMe 200',
      'updateMe 200',
      'updateMe 422',
      'getMe 401',
      'listUsers 200',
      'listUsers 403',
      'getUser 200',
      'getUser 404',
      'getUser 422',
      'listItems 200',
      'listItems 429',
      'createItem 201',
      'createItem 400',
      'createItem 401',
      'createItem 413',
      'createItem 415',
      'createItem 422',
      'createItem 429',
      'getItem 200',
      'getItem 304',
      'getItem 404',
      'replaceItem 200',
      'updateItem 200',
      'updateItem 403',
      'deleteItem 204',
      'exportItems 200',
      'uploadFiles 201',
      'uploadFiles 413',
      'uploadFiles 415',
      'listFiles 200',
      'getFile 200',
      'getFile 404',
      'downloadFile 200',
      'downloadFile 206',
      'downloadFile 304',
      'downloadFile 416',
      'downloadFile 404',
      'headDownloadFile 200',
      'deleteFile 204',
      'createItemsReport 202',
      'createItemsReport 403',
      'getJob 200',
      'getJob 404',
      'listJobs 200',
      'listJobs 403',
      'createApiKey 201',
      'listApiKeys 200',
      'getApiKey 200',
      'getApiKey 404',
      'deleteApiKey 204',
      'getInfo 200',
      'getLiveness 200',
      'getReadiness 200',
    ];
    expect(expected.filter((entry) => !exercised.has(entry))).toEqual([]);
  });
});
