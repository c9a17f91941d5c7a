// A Redis that accepts connections but never answers (SIGSTOP: the kernel still completes TCP
// handshakes and buffers commands) is worse than one that is down: no connection error tells
// the client, every command waits for its timeout. Requests must still answer quickly (the
// 1000 ms bounds are behavioural, generous by design), fall back where a fallback exists, log
// one cache warning per outage, and use Redis again once it thaws. Start-up against a frozen
// Redis must finish too. Last, the password-change revocation that must not depend on when the
// refresh family expired.
import type { InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/compose/api.js';
import { buildTestApp } from '../helpers/app.js';
import { bearer } from '../helpers/factories/clients.js';
import { createItem } from '../helpers/factories/items.js';
import { createUser, logIn, type TokenPair, type TestUser } from '../helpers/factories/users.js';
import { PrivateRedis } from '../helpers/private-redis.js';

const BOUND_MS = 1000;

async function timed(app: App, options: InjectOptions) {
  const started = performance.now();
  const response = await app.inject(options);
  return { response, ms: performance.now() - started };
}

const frozenItem = (name: string) => ({ name, price: 12, tags: ['frozen'] });

function claimsOf(accessToken: string): { sid: string; exp: number } {
  return JSON.parse(Buffer.from(accessToken.split('.')[1]!, 'base64url').toString()) as { sid: string; exp: number };
}

/** The shared Redis of the run: for set-up that needs a healthy Redis (logins). */
let healthy: App;

beforeAll(async () => {
  healthy = await buildTestApp();
});
afterAll(() => healthy.close());

describe('Redis freezes while the app runs', () => {
  let server: PrivateRedis;
  let app: App;
  const logLines: string[] = [];
  let user: TestUser;
  let item: { id: number; name: string };
  /** A second session, for refresh and logout during the outage. */
  let session: TokenPair;

  const cacheWarnings = () => logLines.filter((line) => line.includes('items cache: redis unavailable'));

  beforeAll(async () => {
    server = await PrivateRedis.start();
    app = await buildTestApp({
      // The shared cache under a frozen Redis; the in-process copy in front of it (which may
      // answer for up to CACHE_LOCAL_TTL) has its own tests in items.cache.test.ts.
      env: { REDIS_URL: server.url, LOG_LEVEL: 'info', CACHE_LOCAL_TTL: '0' },
      logStream: { write: (line) => void logLines.push(line) },
    });
    user = await createUser(app);
    session = await logIn(app, user);
    item = await createItem(app, user, frozenItem('Frozen lamp'));
    expect((await app.inject({ method: 'GET', url: `/api/v1/items/${item.id}` })).headers['x-cache']).toBe('MISS');
    expect((await app.inject({ method: 'GET', url: `/api/v1/items/${item.id}` })).headers['x-cache']).toBe('HIT');
    server.pause();
  });

  afterAll(async () => {
    // Thaw before closing so a failed assertion cannot leave the close waiting on a frozen server.
    try {
      server.resume();
    } catch {
      // already stopped
    }
    await app?.close();
    await server?.stop();
  });

  it('serves an anonymous request', async () => {
    for (let i = 0; i < 3; i += 1) {
      const { response, ms } = await timed(app, { method: 'GET', url: '/api/v1/items?limit=1' });
      expect(response.statusCode).toBe(200);
      expect(ms, `anonymous request took ${ms} ms`).toBeLessThan(BOUND_MS);
    }
  });

  it('authenticates a bearer token (deny-list falls back to PostgreSQL)', async () => {
    for (let i = 0; i < 3; i += 1) {
      const { response, ms } = await timed(app, { method: 'GET', url: '/api/v1/users/me', headers: user.headers });
      expect(response.statusCode).toBe(200);
      expect(response.json()).toMatchObject({ id: user.id, email: user.email });
      expect(ms, `GET /users/me took ${ms} ms`).toBeLessThan(BOUND_MS);
    }
  });

  it('refuses a login at once (the credential limit fails closed)', async () => {
    const { response, ms } = await timed(app, {
      method: 'POST',
      url: '/api/v1/auth/token',
      payload: { username: user.email, password: user.password },
    });
    expect(response.statusCode).toBe(503);
    expect(response.headers['retry-after']).toBe('5');
    expect(ms, `login took ${ms} ms`).toBeLessThan(BOUND_MS);
  });

  it('rotates a refresh token', async () => {
    const { response, ms } = await timed(app, {
      method: 'POST',
      url: '/api/v1/auth/refresh',
      payload: { refresh_token: session.refresh_token },
    });
    expect(response.statusCode, response.body).toBe(200);
    expect(ms, `refresh took ${ms} ms`).toBeLessThan(BOUND_MS);
    session = response.json();
  });

  it('logs out, and the logged-out token is refused (PostgreSQL is the authority)', async () => {
    const { response, ms } = await timed(app, {
      method: 'POST',
      url: '/api/v1/auth/logout',
      headers: bearer(session.access_token),
    });
    expect(response.statusCode).toBe(204);
    expect(ms, `logout took ${ms} ms`).toBeLessThan(BOUND_MS);
    const after = await timed(app, { method: 'GET', url: '/api/v1/users/me', headers: bearer(session.access_token) });
    expect(after.response.statusCode).toBe(401);
    expect(after.ms).toBeLessThan(BOUND_MS);
  });

  it('reads an item from the database, every time', async () => {
    for (let i = 0; i < 5; i += 1) {
      const { response, ms } = await timed(app, { method: 'GET', url: `/api/v1/items/${item.id}` });
      expect(response.statusCode).toBe(200);
      expect(response.headers['x-cache']).toBe('MISS');
      expect(response.json()).toMatchObject({ id: item.id, name: 'Frozen lamp', ownerId: user.id });
      expect(ms, `GET /items/:id took ${ms} ms`).toBeLessThan(BOUND_MS);
    }
  });

  it('writes an item, and the pending invalidation keeps the old entry out of later reads', async () => {
    const { response, ms } = await timed(app, {
      method: 'PATCH',
      url: `/api/v1/items/${item.id}`,
      headers: user.headers,
      payload: { name: 'Thawed lamp' },
    });
    expect(response.statusCode).toBe(200);
    expect(ms, `PATCH /items/:id took ${ms} ms`).toBeLessThan(BOUND_MS);
    expect((await app.inject({ method: 'GET', url: `/api/v1/items/${item.id}` })).json()).toMatchObject({
      name: 'Thawed lamp',
    });
  });

  it('refuses a live-events stream with 503 instead of holding it', async () => {
    const { response, ms } = await timed(app, { method: 'GET', url: '/api/v1/events', headers: user.headers });
    expect(response.statusCode).toBe(503);
    expect(ms, `GET /events took ${ms} ms`).toBeLessThan(BOUND_MS);
  });

  it('answers readiness 503 naming Redis', async () => {
    const { response, ms } = await timed(app, { method: 'GET', url: '/health/ready' });
    expect(response.statusCode).toBe(503);
    expect(response.json().checks).toMatchObject({ postgres: { status: 'up' }, redis: { status: 'down' } });
    expect(ms, `ready took ${ms} ms`).toBeLessThan(BOUND_MS);
  });

  it('logged one cache warning for the whole outage', () => {
    expect(cacheWarnings()).toHaveLength(1);
  });

  it('uses Redis again once it thaws', async () => {
    server.resume();
    await expect
      .poll(async () => (await app.inject({ method: 'GET', url: '/health/ready' })).statusCode, {
        timeout: 10_000,
        interval: 100,
      })
      .toBe(200);
    // The breaker lets a probe through after its cool-down; the cache is then trusted again.
    await expect
      .poll(async () => (await app.inject({ method: 'GET', url: `/api/v1/items/${item.id}` })).headers['x-cache'], {
        timeout: 15_000,
        interval: 200,
      })
      .toBe('HIT');
    const hit = await app.inject({ method: 'GET', url: `/api/v1/items/${item.id}` });
    // The write made during the outage was not hidden by the entry cached before it.
    expect(hit.json()).toMatchObject({ name: 'Thawed lamp' });
    expect(logLines.some((line) => line.includes('items cache: redis is back'))).toBe(true);
    expect(cacheWarnings()).toHaveLength(1);
    // Logins are limited (and therefore allowed) again.
    await expect
      .poll(
        async () =>
          (
            await app.inject({
              method: 'POST',
              url: '/api/v1/auth/token',
              payload: { username: user.email, password: user.password },
            })
          ).statusCode,
        {
          timeout: 15_000,
          interval: 200,
        },
      )
      .toBe(200);
  });
});

describe('start-up while Redis is already frozen', () => {
  it('finishes, serves reads from PostgreSQL, and shuts down', async () => {
    const user = await createUser(healthy);
    const item = await createItem(healthy, user, frozenItem('Cold start lamp'));
    const server = await PrivateRedis.start();
    server.pause();
    let app: App | undefined;
    try {
      const started = performance.now();
      app = await buildTestApp({ env: { REDIS_URL: server.url } });
      const startMs = performance.now() - started;
      // Fastify's plugin timeout is 10 s: well under it, and not much more than the connect budget.
      expect(startMs, `start-up took ${startMs} ms`).toBeLessThan(5_000);

      const read = await timed(app, { method: 'GET', url: `/api/v1/items/${item.id}` });
      expect(read.response.statusCode).toBe(200);
      expect(read.response.headers['x-cache']).toBe('MISS');
      expect(read.response.json()).toMatchObject({ id: item.id, name: 'Cold start lamp' });
      expect(read.ms).toBeLessThan(BOUND_MS);

      const me = await timed(app, { method: 'GET', url: '/api/v1/users/me', headers: user.headers });
      expect(me.response.statusCode).toBe(200);
      expect(me.ms).toBeLessThan(BOUND_MS);

      const ready = await timed(app, { method: 'GET', url: '/health/ready' });
      expect(ready.response.statusCode).toBe(503);
      expect(ready.response.json().checks).toMatchObject({ redis: { status: 'down' } });
      expect(ready.ms).toBeLessThan(BOUND_MS);

      // Thawed, every connection finishes its handshake by itself, the pub/sub one included.
      server.resume();
      const thawed = app;
      await expect
        .poll(async () => (await thawed.inject({ method: 'GET', url: '/health/ready' })).statusCode, {
          timeout: 10_000,
          interval: 100,
        })
        .toBe(200);
      const { hub } = app.services;
      const channel = `${app.config.redisPrefix}frozen-start`;
      const received: string[] = [];
      await expect
        .poll(
          () =>
            hub
              .subscribe(channel, (message) => received.push(message.toString()))
              .then(
                () => true,
                () => false,
              ),
          { timeout: 10_000, interval: 200 },
        )
        .toBe(true);
      await hub.publish(channel, 'hello');
      await expect.poll(() => received, { timeout: 5_000 }).toContain('hello');

      // Shutting down must not wait on a frozen server either.
      server.pause();
      const closing = performance.now();
      await app.close();
      app = undefined;
      const closeMs = performance.now() - closing;
      expect(closeMs, `close took ${closeMs} ms`).toBeLessThan(5_000);
    } finally {
      server.resume();
      await app?.close();
      await server.stop();
    }
  });
});

describe('password change revokes every access token of the user', () => {
  async function changePassword(user: TestUser, accessToken: string) {
    const changed = await healthy.inject({
      method: 'PATCH',
      url: '/api/v1/users/me',
      headers: bearer(accessToken),
      payload: { currentPassword: user.password, password: `${user.password}-new` },
    });
    expect(changed.statusCode, changed.body).toBe(200);
  }

  it('including those of a family whose refresh token expired less than ACCESS_TOKEN_TTL ago', async () => {
    const user = await createUser(healthy);
    // A refresh shortly before the family's absolute expiry issues an access token that outlives
    // the family by up to ACCESS_TOKEN_TTL; make the family expire a minute ago to get there.
    await healthy.prisma.refreshToken.updateMany({
      where: { userId: user.id },
      data: { expiresAt: new Date(Date.now() - 60_000) },
    });
    const fresh = await logIn(healthy, user);
    expect((await healthy.inject({ method: 'GET', url: '/api/v1/users/me', headers: user.headers })).statusCode).toBe(
      200,
    );

    await changePassword(user, fresh.access_token);

    expect((await healthy.inject({ method: 'GET', url: '/api/v1/users/me', headers: user.headers })).statusCode).toBe(
      401,
    );
    expect(
      (await healthy.inject({ method: 'GET', url: '/api/v1/users/me', headers: bearer(fresh.access_token) }))
        .statusCode,
    ).toBe(401);
    // On the shared deny-list, not only in the PostgreSQL fallback: every instance refuses it.
    const { sid } = claimsOf(user.accessToken);
    expect(await healthy.redis.exists(`auth:deny:sid:${sid}`)).toBe(1);
  });

  it('does not deny-list families that expired longer ago than any access token lives', async () => {
    const user = await createUser(healthy);
    const { sid } = claimsOf(user.accessToken);
    await healthy.prisma.refreshToken.updateMany({
      where: { userId: user.id },
      data: { expiresAt: new Date(Date.now() - (healthy.config.accessTokenTtl + 60) * 1000) },
    });
    const fresh = await logIn(healthy, user);
    await changePassword(user, fresh.access_token);
    expect(await healthy.redis.exists(`auth:deny:sid:${sid}`)).toBe(0);
    expect(await healthy.redis.exists(`auth:deny:sid:${claimsOf(fresh.access_token).sid}`)).toBe(1);
  });
});
