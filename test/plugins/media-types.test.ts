// Finding 8: JSON routes accept JSON only. text/plain used to reach a JSON schema as a string
// (422), and forms were taken by every auth route; now anything but JSON is 415 problem+json,
// except where the document lists other types (the token endpoint's form, multipart uploads).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/compose/api.js';
import { buildTestApp, problemOf } from '../helpers/app.js';
import { filePart, postFiles } from '../helpers/factories/files.js';
import { createUser, uniqueEmail, type TestUser } from '../helpers/factories/users.js';

let app: App;
let user: TestUser;

beforeAll(async () => {
  app = await buildTestApp();
  user = await createUser(app);
});
afterAll(() => app.close());

const form = (fields: Record<string, string>) => ({
  'content-type': 'application/x-www-form-urlencoded',
  payload: new URLSearchParams(fields).toString(),
});

describe('415 for a body the route does not take', () => {
  it.each([
    ['POST', '/api/v1/items', 'text/plain', '{"name":"x","price":1}'],
    ['PATCH', '/api/v1/users/me', 'text/plain', '{"name":"x"}'],
    ['POST', '/api/v1/users/me/api-keys', 'text/plain', '{"name":"x"}'],
    ['POST', '/api/v1/items', 'application/x-www-form-urlencoded', 'name=x&price=1'],
    ['POST', '/api/v1/items', 'text/csv', 'name,price\nx,1'],
  ])('%s %s with %s', async (method, url, contentType, payload) => {
    const response = await app.inject({
      method: method as 'POST',
      url,
      headers: { ...user.headers, 'content-type': contentType },
      payload,
    });
    expect(response.statusCode).toBe(415);
    expect(problemOf(response)).toMatchObject({
      status: 415,
      title: 'Unsupported Media Type',
      type: '/problems/unsupported-media-type',
      detail: 'This endpoint accepts application/json',
    });
  });

  it('a form to an auth route that documents JSON only (register, refresh, password reset)', async () => {
    const email = uniqueEmail('form');
    for (const [url, fields] of [
      ['/api/v1/auth/register', { email, password: 'a long password', name: 'Form' }],
      ['/api/v1/auth/refresh', { refresh_token: user.refreshToken }],
      ['/api/v1/auth/password-reset/request', { email }],
    ] as const) {
      const { payload, ...headers } = form(fields);
      const response = await app.inject({ method: 'POST', url, headers, payload });
      expect(response.statusCode, url).toBe(415);
      expect(problemOf(response).status).toBe(415);
    }
    expect(await app.prisma.user.count({ where: { email } })).toBe(0);
  });

  it('JSON to a multipart upload', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/api/v1/files',
      headers: user.headers,
      payload: { file: 'x' },
    });
    expect(response.statusCode).toBe(415);
    expect(problemOf(response).detail).toBe('This endpoint accepts multipart/form-data');
  });
});

describe('what the document lists is accepted', () => {
  it('JSON with a charset', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/api/v1/items',
      headers: { ...user.headers, 'content-type': 'application/json; charset=utf-8' },
      payload: '{"name":"x","price":1}',
    });
    expect(response.statusCode).toBe(201);
  });

  it('the OAuth2 form and JSON at the token endpoint', async () => {
    const { payload, ...headers } = form({ grant_type: 'password', username: user.email, password: user.password });
    expect((await app.inject({ method: 'POST', url: '/api/v1/auth/token', headers, payload })).statusCode).toBe(200);
    expect(
      (
        await app.inject({
          method: 'POST',
          url: '/api/v1/auth/token',
          payload: { username: user.email, password: user.password },
        })
      ).statusCode,
    ).toBe(200);
  });

  it('multipart at the upload', async () => {
    expect((await postFiles(app, user, [filePart({ filename: 'a.txt', content: 'a' })])).statusCode).toBe(201);
  });

  it('a Content-Type without a body is not checked', async () => {
    expect(
      (await app.inject({ method: 'GET', url: '/api/v1/items', headers: { 'content-type': 'text/plain' } })).statusCode,
    ).toBe(200);
  });
});
