// Rate limits live in Redis: two app instances (two replicas) share the counters. Each test
// uses client addresses of its own (inject's remoteAddress), so parallel tests never share a
// bucket with it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/compose/api.js';
import { buildTestApp, problemOf } from '../helpers/app.js';
import { randomIp } from '../helpers/factories/clients.js';
import { createUser, uniqueEmail } from '../helpers/factories/users.js';

/** A random documentation-range address: unique per call for practical purposes. */

const limits = { RATE_LIMIT_MAX: '3', RATE_LIMIT_WINDOW: '1m', LOGIN_RATE_LIMIT_MAX: '2' };

// Users are made through an app with the roomy test limits: its requests come from 127.0.0.1,
// a bucket every test file shares.
let setup: App;
beforeAll(async () => {
  setup = await buildTestApp();
});
afterAll(() => setup.close());

describe('global rate limit shared by two instances', () => {
  let a: App;
  let b: App;
  beforeAll(async () => {
    [a, b] = await Promise.all([buildTestApp({ env: limits }), buildTestApp({ env: limits })]);
  });
  afterAll(() => Promise.all([a.close(), b.close()]));

  const info = (target: App, remoteAddress: string, headers: Record<string, string> = {}) =>
    target.inject({ method: 'GET', url: '/api/v1/info', remoteAddress, headers });

  it('counts requests to both instances in one bucket and answers 429 as a problem with Retry-After', async () => {
    const ip = randomIp();
    const first = await info(a, ip);
    expect(first.statusCode).toBe(200);
    expect(first.headers['x-ratelimit-limit']).toBe('3');
    expect(first.headers['x-ratelimit-remaining']).toBe('2');
    expect(Number(first.headers['x-ratelimit-reset'])).toBeGreaterThan(0);
    expect((await info(b, ip)).headers['x-ratelimit-remaining']).toBe('1');
    expect((await info(a, ip)).headers['x-ratelimit-remaining']).toBe('0');

    const limited = await info(b, ip);
    expect(limited.statusCode).toBe(429);
    const problem = problemOf(limited);
    expect(problem).toMatchObject({ status: 429, title: 'Too Many Requests', type: '/problems/too-many-requests' });
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(Number(limited.headers['retry-after'])).toBeLessThanOrEqual(60);
    expect(limited.headers['x-ratelimit-remaining']).toBe('0');

    // Another client is unaffected.
    expect((await info(a, randomIp())).statusCode).toBe(200);
  });

  it('keys authenticated requests by user, not by address', async () => {
    const user = await createUser(setup);
    const ip = randomIp();
    for (let i = 0; i < 3; i++) {
      expect(
        (await a.inject({ method: 'GET', url: '/api/v1/users/me', headers: user.headers, remoteAddress: ip }))
          .statusCode,
      ).toBe(200);
    }
    // The user's budget is spent, from any address and on any instance...
    const limited = await b.inject({
      method: 'GET',
      url: '/api/v1/users/me',
      headers: user.headers,
      remoteAddress: randomIp(),
    });
    expect(limited.statusCode).toBe(429);
    // ...while the address itself still has its own budget for anonymous calls.
    expect((await info(b, ip)).statusCode).toBe(200);
  });

  it('does not throttle health probes or the metrics scraper', async () => {
    const ip = randomIp();
    for (let i = 0; i < 5; i++) {
      const live = await a.inject({ method: 'GET', url: '/health/live', remoteAddress: ip });
      expect(live.statusCode).toBe(200);
      expect(live.headers['x-ratelimit-limit']).toBeUndefined();
    }
  });

  it('a spoofed X-Forwarded-For changes nothing when the peer is not a trusted proxy', async () => {
    const ip = randomIp();
    for (let i = 0; i < 3; i++) {
      expect((await info(a, ip, { 'x-forwarded-for': randomIp() })).statusCode).toBe(200);
    }
    expect((await info(b, ip, { 'x-forwarded-for': randomIp() })).statusCode).toBe(429);
  });
});

describe('behind a trusted proxy (TRUST_PROXY)', () => {
  let app: App;
  const proxy = '198.51.100.7';
  beforeAll(async () => {
    app = await buildTestApp({ env: { ...limits, TRUST_PROXY: proxy } });
  });
  afterAll(() => app.close());

  it('keys by the client address the trusted proxy reports', async () => {
    const client = randomIp();
    for (let i = 0; i < 3; i++) {
      const response = await app.inject({
        method: 'GET',
        url: '/api/v1/info',
        remoteAddress: proxy,
        headers: { 'x-forwarded-for': client },
      });
      expect(response.statusCode).toBe(200);
    }
    expect(
      (
        await app.inject({
          method: 'GET',
          url: '/api/v1/info',
          remoteAddress: proxy,
          headers: { 'x-forwarded-for': client },
        })
      ).statusCode,
    ).toBe(429);
    // Another client behind the same proxy has its own budget.
    expect(
      (
        await app.inject({
          method: 'GET',
          url: '/api/v1/info',
          remoteAddress: proxy,
          headers: { 'x-forwarded-for': randomIp() },
        })
      ).statusCode,
    ).toBe(200);
  });

  it('ignores X-Forwarded-For from a peer that is not the proxy', async () => {
    const peer = randomIp();
    for (let i = 0; i < 3; i++) {
      await app.inject({
        method: 'GET',
        url: '/api/v1/info',
        remoteAddress: peer,
        headers: { 'x-forwarded-for': randomIp() },
      });
    }
    expect(
      (
        await app.inject({
          method: 'GET',
          url: '/api/v1/info',
          remoteAddress: peer,
          headers: { 'x-forwarded-for': randomIp() },
        })
      ).statusCode,
    ).toBe(429);
  });
});

describe('login rate limit (client address + username)', () => {
  let a: App;
  let b: App;
  beforeAll(async () => {
    // A roomy global limit, so only the login limit is exercised.
    const env = { ...limits, RATE_LIMIT_MAX: '1000' };
    [a, b] = await Promise.all([buildTestApp({ env }), buildTestApp({ env })]);
  });
  afterAll(() => Promise.all([a.close(), b.close()]));

  const attempt = (target: App, remoteAddress: string, username: string, password = 'wrong-password') =>
    target.inject({ method: 'POST', url: '/api/v1/auth/token', remoteAddress, payload: { username, password } });

  it('allows LOGIN_RATE_LIMIT_MAX attempts across instances, then 429, even with the right password', async () => {
    const user = await createUser(setup);
    const attacker = randomIp();
    expect((await attempt(a, attacker, user.email)).statusCode).toBe(401);
    expect((await attempt(b, attacker, user.email.toUpperCase())).statusCode).toBe(401);
    const limited = await attempt(a, attacker, user.email, user.password);
    expect(limited.statusCode).toBe(429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(problemOf(limited).detail).toMatch(/Too many attempts/);
  });

  it('does not lock the owner out from another address, nor other accounts from the same address', async () => {
    const victim = await createUser(setup);
    const bystander = await createUser(setup);
    const attacker = randomIp();
    for (let i = 0; i < 3; i++) await attempt(a, attacker, victim.email);
    expect((await attempt(a, attacker, victim.email)).statusCode).toBe(429);

    expect((await attempt(b, randomIp(), victim.email, victim.password)).statusCode).toBe(200);
    expect((await attempt(b, attacker, bystander.email, bystander.password)).statusCode).toBe(200);
  });

  it('successful logins do not use the budget', async () => {
    const user = await createUser(setup);
    const ip = randomIp();
    for (let i = 0; i < 5; i++)
      expect((await attempt(i % 2 ? a : b, ip, user.email, user.password)).statusCode).toBe(200);
    // ...while failures still do.
    expect((await attempt(a, ip, user.email)).statusCode).toBe(401);
    expect((await attempt(b, ip, user.email)).statusCode).toBe(401);
    expect((await attempt(a, ip, user.email)).statusCode).toBe(429);
  });

  it('parallel guesses cannot all slip past the count: a slot is taken before the password is checked', async () => {
    const user = await createUser(setup);
    const ip = randomIp();
    const statuses = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        attempt(i % 2 ? a : b, ip, user.email, `guess-${i}`).then((r) => r.statusCode),
      ),
    );
    expect(statuses.filter((status) => status === 401)).toHaveLength(2);
    expect(statuses.filter((status) => status === 429)).toHaveLength(8);
  });

  it('limits sign-ups per client address, successful or not (a taken email counts too)', async () => {
    const ip = randomIp();
    const register = (target: App, email: string) =>
      target.inject({
        method: 'POST',
        url: '/api/v1/auth/register',
        remoteAddress: ip,
        payload: { email, password: 'a-long-password-1', name: 'Spam' },
      });
    const email = uniqueEmail('signup');
    expect((await register(a, email)).statusCode).toBe(202);
    expect((await register(b, email)).statusCode).toBe(202);
    const limited = await register(a, uniqueEmail('signup'));
    expect(limited.statusCode).toBe(429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(problemOf(limited).detail).toMatch(/Too many attempts/);
    // Another client is not affected.
    expect(
      (
        await a.inject({
          method: 'POST',
          url: '/api/v1/auth/register',
          remoteAddress: randomIp(),
          payload: { email: uniqueEmail('signup'), password: 'a-long-password-1', name: 'Ok' },
        })
      ).statusCode,
    ).toBe(202);
  });

  it('limits password-reset requests the same way', async () => {
    const ip = randomIp();
    const request = (target: App) =>
      target.inject({
        method: 'POST',
        url: '/api/v1/auth/password-reset/request',
        remoteAddress: ip,
        payload: { email: 'someone@example.com' },
      });
    expect((await request(a)).statusCode).toBe(202);
    expect((await request(b)).statusCode).toBe(202);
    expect((await request(a)).statusCode).toBe(429);
  });
});

describe('when Redis is unreachable', () => {
  let app: App;
  beforeAll(async () => {
    app = await buildTestApp({ env: { ...limits, REDIS_URL: 'redis://127.0.0.1:1' } });
  });
  afterAll(() => app.close());

  it('the global limit fails open: anonymous requests are served', async () => {
    const ip = randomIp();
    for (let i = 0; i < 5; i++) {
      expect((await app.inject({ method: 'GET', url: '/api/v1/info', remoteAddress: ip })).statusCode).toBe(200);
    }
  });

  it('sign-ups stay open: the account is created', async () => {
    const email = uniqueEmail('offline');
    const response = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/register',
      remoteAddress: randomIp(),
      payload: { email, password: 'a-long-password-1', name: 'Offline' },
    });
    expect(response.statusCode).toBe(202);
    expect(await app.prisma.user.count({ where: { email } })).toBe(1);
  });

  it('the login limit fails closed: 503 with Retry-After', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/token',
      payload: { username: 'a@example.com', password: 'whatever-pass' },
    });
    expect(response.statusCode).toBe(503);
    expect(response.headers['retry-after']).toBeDefined();
  });
});
