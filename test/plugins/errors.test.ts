// Every error leaves as RFC 9457 problem+json with the request id; 5xx say nothing inside.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/compose/api.js';
import { buildTestApp, problemOf } from '../helpers/app.js';
import { createUser, uniqueEmail, type TestUser } from '../helpers/factories/users.js';

let app: App;
let user: TestUser;
const logLines: string[] = [];

beforeAll(async () => {
  app = await buildTestApp({
    logStream: { write: (line: string) => logLines.push(line) },
    env: { BODY_LIMIT: '2048', LOG_LEVEL: 'info' },
    // A route that fails unexpectedly, to see what a 500 reveals.
    extend: (instance) =>
      instance.get('/boom', async () => {
        throw new Error('database password is hunter2');
      }),
  });
  user = await createUser(app);
});
afterAll(() => app.close());

describe('problem details', () => {
  it('404 for an unknown route, in the same shape', async () => {
    const response = await app.inject({
      method: 'GET',
      url: '/api/v1/nope?x=1',
      headers: { 'x-request-id': 'trace-abc-123' },
    });
    expect(response.statusCode).toBe(404);
    expect(problemOf(response)).toEqual({
      type: '/problems/not-found',
      title: 'Not Found',
      status: 404,
      detail: 'No route for GET /api/v1/nope',
      instance: '/api/v1/nope',
      requestId: 'trace-abc-123',
    });
    expect(response.headers['x-request-id']).toBe('trace-abc-123');
  });

  it('400 for malformed JSON', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/api/v1/items',
      headers: { ...user.headers, 'content-type': 'application/json' },
      payload: '{"name": ',
    });
    expect(response.statusCode).toBe(400);
    expect(problemOf(response).detail).toBe('The body is not valid JSON');
  });

  it('400 for prototype poisoning', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/register',
      headers: { 'content-type': 'application/json' },
      payload: '{"email":"p@example.com","password":"long enough","name":"x","__proto__":{"isAdmin":true}}',
    });
    expect(response.statusCode).toBe(400);
    expect(problemOf(response).status).toBe(400);
  });

  it.each([
    [
      'at the top level',
      (email: string) =>
        `{"email":"${email}","password":"long enough","name":"x","constructor":{"prototype":{"isAdmin":true}}}`,
    ],
    [
      'nested',
      (email: string) =>
        `{"email":"${email}","password":"long enough","name":"x","images":[{"constructor":{"prototype":{"role":"ADMIN"}}}]}`,
    ],
  ])('400 for constructor.prototype poisoning %s, and nothing is written', async (_where, body) => {
    const email = uniqueEmail('poison');
    const response = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/register',
      headers: { 'content-type': 'application/json' },
      payload: body(email),
    });
    expect(response.statusCode).toBe(400);
    expect(problemOf(response)).toMatchObject({
      status: 400,
      type: '/problems/malformed-body',
      detail: 'The body is not valid JSON',
    });
    expect(await app.prisma.user.count({ where: { email } })).toBe(0);
  });

  it('a plain "constructor" key without "prototype" is ordinary data (no false positive)', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/api/v1/items',
      headers: { ...user.headers, 'content-type': 'application/json' },
      payload: '{"name":"x","price":1,"constructor":"not poison"}',
    });
    // Refused by the schema (unknown field), not by the poisoning guard.
    expect(response.statusCode).toBe(422);
    expect(problemOf(response).errors?.map((e) => e.path)).toContain('/body/constructor');
  });

  it('413 for a body over the limit', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/api/v1/items',
      headers: user.headers,
      payload: { name: 'x'.repeat(4000), price: 1 },
    });
    expect(response.statusCode).toBe(413);
    expect(problemOf(response).title).toBe('Payload Too Large');
  });

  it('415 for a content type the route does not take', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/api/v1/items',
      headers: { ...user.headers, 'content-type': 'application/xml' },
      payload: '<item/>',
    });
    expect(response.statusCode).toBe(415);
    expect(problemOf(response).title).toBe('Unsupported Media Type');
  });

  it('500 hides the cause from the client and logs it under the request id', async () => {
    const response = await app.inject({ method: 'GET', url: '/boom', headers: { 'x-request-id': 'boom-1' } });
    expect(response.statusCode).toBe(500);
    const problem = problemOf(response);
    expect(problem).toMatchObject({ title: 'Internal Server Error', status: 500, requestId: 'boom-1' });
    expect(problem.detail).toBeUndefined();
    expect(response.body).not.toContain('hunter2');
    expect(response.body).not.toContain('at ');
    const logged = logLines
      .map((line) => JSON.parse(line))
      .find((line) => line.requestId === 'boom-1' && line.level === 50);
    expect(logged?.err?.message).toBe('database password is hunter2');
  });

  it('replaces an insane X-Request-Id with a generated one', async () => {
    const response = await app.inject({
      method: 'GET',
      url: '/api/v1/info',
      headers: { 'x-request-id': 'bad id with spaces <script>' },
    });
    expect(response.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('puts X-Response-Time on every response', async () => {
    const response = await app.inject({ method: 'GET', url: '/api/v1/info' });
    expect(response.headers['x-response-time']).toMatch(/^\d+\.\d{2}ms$/);
  });
});

describe('logging', () => {
  it('redacts authorization headers, cookies and passwords', async () => {
    logLines.length = 0;
    const child = app.log.child({});
    child.info(
      {
        req: { headers: { authorization: 'Bearer secret-token', cookie: 'refresh_token=abc' } },
        body: { password: 'hunter22' },
      },
      'probe',
    );
    await app.inject({
      method: 'POST',
      url: '/api/v1/auth/token',
      headers: { authorization: `Bearer ${user.accessToken}` },
      payload: { username: user.email, password: user.password },
    });
    const text = logLines.join('\n');
    expect(text).toContain('probe');
    expect(text).toContain('[redacted]');
    expect(text).not.toContain('secret-token');
    expect(text).not.toContain('hunter22');
    expect(text).not.toContain(user.accessToken);
    expect(text).not.toContain(user.password);
  });

  it('writes one access-log line per request at info, with the request id, the request and the outcome', async () => {
    logLines.length = 0;
    await app.inject({ method: 'GET', url: '/api/v1/info?x=1', headers: { 'x-request-id': 'log-me-1' } });
    const lines = logLines.map((line) => JSON.parse(line)).filter((line) => line.requestId === 'log-me-1');
    // "incoming request" is a debug line (LOG_LEVEL=debug shows requests still in flight).
    expect(lines.map((line) => line.msg)).toEqual(['request completed']);
    expect(lines[0]).toMatchObject({
      level: 30,
      req: { method: 'GET', url: '/api/v1/info?x=1' },
      res: { statusCode: 200 },
    });
    expect(typeof lines[0].responseTime).toBe('number');
  });

  it('logs the incoming request too at debug', async () => {
    const debugLines: string[] = [];
    const debug = await buildTestApp({
      logStream: { write: (line: string) => debugLines.push(line) },
      env: { LOG_LEVEL: 'debug' },
    });
    try {
      await debug.inject({ method: 'GET', url: '/api/v1/info', headers: { 'x-request-id': 'log-me-2' } });
      const lines = debugLines.map((line) => JSON.parse(line)).filter((line) => line.requestId === 'log-me-2');
      expect(lines.map((line) => line.msg)).toEqual(['incoming request', 'request completed']);
      expect(lines[0]).toMatchObject({ level: 20, req: { method: 'GET', url: '/api/v1/info' } });
    } finally {
      await debug.close();
    }
  });
});
