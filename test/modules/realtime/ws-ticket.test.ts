// Single-use WebSocket tickets on two real instances sharing Redis: issued on A, used on B,
// refused the second time (even when two connections race with one ticket), stored only as a
// hash with a short TTL, tied to the session that asked for it, and kept out of the logs along
// with every other secret in a URL.
import { createHash } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { problemOf } from '../../helpers/app.js';
import { createApiKey } from '../../helpers/factories/api-keys.js';
import { createUser, type TestUser } from '../../helpers/factories/users.js';
import { connect, startInstance, type ChatFrame, type Instance } from './realtime-clients.js';

const lines: string[] = [];
let a: Instance;
let b: Instance;
let alice: TestUser;
let redis: Redis;

beforeAll(async () => {
  [a, b] = await Promise.all([
    startInstance(),
    startInstance({ env: { LOG_LEVEL: 'info' }, logStream: { write: (line) => lines.push(line) } }),
  ]);
  alice = await createUser(a.app, { name: 'Alice' });
  redis = new Redis(inject('redisUrl'));
});

afterAll(async () => {
  await redis?.quit();
  await Promise.all([a?.app.close(), b?.app.close()]);
});

async function ticketFor(user: TestUser, instance = a): Promise<{ ticket: string; expiresIn: number }> {
  const response = await instance.app.inject({ method: 'POST', url: '/api/v1/ws-ticket', headers: user.headers });
  expect(response.statusCode, response.body).toBe(200);
  expect(response.headers['cache-control']).toBe('no-store');
  return response.json();
}

describe('POST /api/v1/ws-ticket', () => {
  it('returns a ticket that opens a WebSocket once, on another instance', async () => {
    const { ticket, expiresIn } = await ticketFor(alice);
    expect(ticket).toMatch(/^[\w-]{43}$/);
    expect(expiresIn).toBe(30);
    const client = await connect(`${b.ws}/ws/chat/ticket-room?ticket=${ticket}`);
    expect(await client.waitFor((m: ChatFrame) => m.type === 'join')).toMatchObject({
      user: { id: alice.id, name: 'Alice' },
    });
    await client.close();

    const again = await connect(`${a.ws}/ws/notifications?ticket=${ticket}`).catch(
      (err: { statusCode: number; body: string }) => err,
    );
    expect(again).toMatchObject({ statusCode: 401 });
    expect(JSON.parse((again as { body: string }).body)).toMatchObject({
      status: 401,
      detail: expect.stringContaining('ws-ticket'),
    });
  });

  it('lets exactly one of two racing connections use a ticket', async () => {
    const { ticket } = await ticketFor(alice);
    const results = await Promise.allSettled([
      connect(`${a.ws}/ws/notifications?ticket=${ticket}`),
      connect(`${b.ws}/ws/notifications?ticket=${ticket}`),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(results.find((r) => r.status === 'rejected')).toMatchObject({ reason: { statusCode: 401 } });
    for (const r of results) if (r.status === 'fulfilled') await r.value.close();
  });

  it('keeps only a hash of the ticket in Redis, with a TTL of about 30 s', async () => {
    const { ticket } = await ticketFor(alice);
    const key = `${inject('redisPrefix')}ws:ticket:${createHash('sha256').update(ticket).digest('hex')}`;
    const ttl = await redis.ttl(key);
    expect(ttl).toBeGreaterThan(25);
    expect(ttl).toBeLessThanOrEqual(30);
    const stored = (await redis.get(key))!;
    expect(stored).not.toContain(ticket);
    expect(JSON.parse(stored)).toMatchObject({ sub: String(alice.id), typ: 'access' });
    const keys = await redis.keys(`${inject('redisPrefix')}ws:ticket:*`);
    expect(keys.some((k) => k.includes(ticket))).toBe(false);
  });

  it('stands for the session: refused once the session is logged out, and the socket it opened closes at logout', async () => {
    const user = await createUser(a.app);
    const open = await connect(`${b.ws}/ws/notifications?ticket=${(await ticketFor(user)).ticket}`);
    const unused = (await ticketFor(user)).ticket;
    expect((await a.app.inject({ method: 'POST', url: '/api/v1/auth/logout', headers: user.headers })).statusCode).toBe(
      204,
    );
    expect(await open.closed).toEqual({ code: 1008, reason: 'session revoked' });
    await expect(connect(`${b.ws}/ws/notifications?ticket=${unused}`)).rejects.toMatchObject({ statusCode: 401 });
  });

  it('needs a bearer access token: 401 without one, 403 with an API key', async () => {
    const anonymous = await a.app.inject({ method: 'POST', url: '/api/v1/ws-ticket' });
    expect(problemOf(anonymous).status).toBe(401);
    const { key } = await createApiKey(a.app, alice, 'no tickets');
    const withKey = await a.app.inject({ method: 'POST', url: '/api/v1/ws-ticket', headers: { 'x-api-key': key } });
    expect(problemOf(withKey).status).toBe(403);
  });

  it('refuses made-up and malformed tickets with 401', async () => {
    await expect(connect(`${a.ws}/ws/notifications?ticket=${'x'.repeat(43)}`)).rejects.toMatchObject({
      statusCode: 401,
    });
    await expect(connect(`${a.ws}/ws/notifications?ticket=short`)).rejects.toMatchObject({ statusCode: 401 });
  });

  it('keeps ?token= working for older clients', async () => {
    const client = await connect(`${b.ws}/ws/notifications?token=${alice.accessToken}`);
    await client.close();
  });
});

describe('with Redis unavailable', () => {
  it('answers 503 to a ticket request and to a connection with a ticket, quickly', async () => {
    const down = await startInstance({ env: { REDIS_URL: 'redis://127.0.0.1:1' } });
    try {
      const started = performance.now();
      const issued = await down.app.inject({ method: 'POST', url: '/api/v1/ws-ticket', headers: alice.headers });
      expect(problemOf(issued).status).toBe(503);
      expect(issued.headers['retry-after']).toBeDefined();
      await expect(connect(`${down.ws}/ws/notifications?ticket=${'x'.repeat(43)}`)).rejects.toMatchObject({
        statusCode: 503,
      });
      expect(performance.now() - started).toBeLessThan(3_000);
    } finally {
      await down.app.close();
    }
  });
});

describe('secrets in URLs stay out of the logs', () => {
  it('redacts tickets and tokens, whatever the case or percent-encoding of the parameter name', async () => {
    const { ticket } = await ticketFor(alice);
    const client = await connect(`${b.ws}/ws/notifications?ticket=${ticket}`);
    await client.close();
    // `%74oken` is `token` once decoded: the app accepts it as the token, the log must not show it.
    const encoded = await connect(`${b.ws}/ws/notifications?%74oken=${alice.accessToken}`);
    await encoded.close();
    const upper = await b.app.inject({
      method: 'GET',
      url: `/api/v1/items?TOKEN=${alice.accessToken}&Ticket=${ticket}`,
    });
    expect(upper.statusCode).toBeLessThan(500);
    const reset = await b.app.inject({ method: 'GET', url: `/reset-password?token=${alice.refreshToken}` });
    expect(reset.statusCode).toBe(404);

    const log = lines.join('\n');
    expect(log).toContain('ticket=[redacted]');
    expect(log).toContain('%74oken=[redacted]');
    expect(log).toContain('TOKEN=[redacted]');
    for (const secret of [ticket, alice.accessToken, alice.refreshToken]) expect(log).not.toContain(secret);
  });
});
