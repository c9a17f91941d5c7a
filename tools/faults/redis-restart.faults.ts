// Redis is killed (SIGKILL) under traffic and restarted empty, with an api instance and a real
// worker process connected to it. While it is gone: item reads fall back to PostgreSQL (correct
// data, no 5xx), the global rate limit fails open, logins fail closed (503), enqueueing fails
// fast with 503, readiness says 503 naming Redis. Once it is back: readiness 200, the cache
// serves hits again, jobs are accepted and the worker (which never restarted) runs them.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import type { App } from '../../src/compose/api.js';
import { buildTestApp, problemOf, testEnv } from '../../test/helpers/app.js';
import { createUser, type TestUser } from '../../test/helpers/factories/users.js';
import { PrivateRedis } from '../../test/helpers/private-redis.js';
import { ChildProcessHandle } from '../../test/helpers/child-process.js';

let redis: PrivateRedis;
let app: App;
let worker: ChildProcessHandle;
let admin: TestUser;
let env: Record<string, string>;

beforeAll(async () => {
  redis = await PrivateRedis.start();
  env = { REDIS_URL: redis.url, REDIS_PREFIX: `${inject('redisPrefix')}faults-redis:`, JOB_BACKOFF_MS: '100' };
  app = await buildTestApp({ env });
  worker = ChildProcessHandle.spawnTs('src/worker.ts', testEnv({ ...env, LOG_LEVEL: 'info' }));
  await worker.waitForOutput('worker started');
  admin = await createUser(app, { role: 'ADMIN' });
});
afterAll(async () => {
  await worker?.kill('SIGKILL');
  await app?.close();
  await redis?.stop();
});

async function finishedJob(jobId: string): Promise<{ state: string; result: unknown }> {
  return vi.waitFor(
    async () => {
      const job = (await app.inject({ method: 'GET', url: `/api/v1/jobs/${jobId}`, headers: admin.headers })).json<{
        state: string;
        result: unknown;
      }>();
      if (job.state !== 'completed') throw new Error(`job ${jobId} is ${job.state}`);
      return job;
    },
    { timeout: 20_000, interval: 100 },
  );
}

/** Concurrent reads for `ms`: every status seen, and the slowest answer. */
async function traffic(itemId: number, ms: number) {
  const statuses = new Map<string, number>();
  let slowest = 0;
  let wrongBodies = 0;
  const deadline = Date.now() + ms;
  const client = async () => {
    while (Date.now() < deadline) {
      const started = performance.now();
      const response = await app.inject({ method: 'GET', url: `/api/v1/items/${itemId}` });
      slowest = Math.max(slowest, performance.now() - started);
      const key = `${response.statusCode} ${response.headers['x-cache'] ?? '-'}`;
      statuses.set(key, (statuses.get(key) ?? 0) + 1);
      if (response.statusCode === 200 && response.json<{ id: number }>().id !== itemId) wrongBodies++;
    }
  };
  await Promise.all(Array.from({ length: 4 }, client));
  return { statuses: Object.fromEntries(statuses), slowest, wrongBodies };
}

describe('Redis killed and restarted under traffic', () => {
  it('degrades as documented while it is down and recovers without restarting anything', async () => {
    const created = await app.inject({
      method: 'POST',
      url: '/api/v1/items',
      headers: admin.headers,
      payload: { name: `fault-${randomBytes(3).toString('hex')}`, price: 10 },
    });
    expect(created.statusCode).toBe(201);
    const itemId = created.json<{ id: number }>().id;
    await app.inject({ method: 'GET', url: `/api/v1/items/${itemId}` });
    expect((await app.inject({ method: 'GET', url: `/api/v1/items/${itemId}` })).headers['x-cache']).toBe('HIT');

    // Kill it while reads are in flight.
    const during = traffic(itemId, 1500);
    await new Promise((resolve) => setTimeout(resolve, 300));
    await redis.stop();
    const down = await during;
    expect(
      Object.keys(down.statuses).every((key) => key.startsWith('200 ')),
      JSON.stringify(down),
    ).toBe(true);
    expect(down.wrongBodies).toBe(0);
    expect(down.slowest).toBeLessThan(1000);

    const stillDown = await traffic(itemId, 300);
    expect(stillDown.statuses).toEqual({ [`200 MISS`]: expect.any(Number) });

    // Global limit fails open: anonymous and authenticated reads still pass.
    expect((await app.inject({ method: 'GET', url: '/api/v1/users/me', headers: admin.headers })).statusCode).toBe(200);
    // Credential limit fails closed: no unlimited password guessing during an outage.
    const login = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/token',
      payload: { username: admin.email, password: admin.password },
    });
    expect(login.statusCode).toBe(503);
    expect(problemOf(login).status).toBe(503);
    // Enqueueing fails fast.
    const started = performance.now();
    const report = await app.inject({ method: 'POST', url: '/api/v1/reports/items', headers: admin.headers });
    expect(report.statusCode).toBe(503);
    expect(report.headers['retry-after']).toBeDefined();
    expect(problemOf(report).status).toBe(503);
    expect(performance.now() - started).toBeLessThan(1000);
    const ready = await app.inject({ method: 'GET', url: '/health/ready' });
    expect(ready.statusCode).toBe(503);
    expect(ready.body).toMatch(/redis/);
    expect(worker.exited).toBe(false);

    // Back, empty (nothing was persisted): the same processes recover by themselves.
    await redis.start();
    await vi.waitFor(
      async () => expect((await app.inject({ method: 'GET', url: '/health/ready' })).statusCode).toBe(200),
      {
        timeout: 15_000,
        interval: 200,
      },
    );
    await vi.waitFor(
      async () => {
        await app.inject({ method: 'GET', url: `/api/v1/items/${itemId}` });
        expect((await app.inject({ method: 'GET', url: `/api/v1/items/${itemId}` })).headers['x-cache']).toBe('HIT');
      },
      { timeout: 15_000, interval: 200 },
    );
    const relogin = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/token',
      payload: { username: admin.email, password: admin.password },
    });
    expect(relogin.statusCode).toBe(200);
    expect(relogin.headers['x-ratelimit-remaining']).toBeDefined();

    const queued = await vi.waitFor(
      async () => {
        const response = await app.inject({ method: 'POST', url: '/api/v1/reports/items', headers: admin.headers });
        expect(response.statusCode).toBe(202);
        return response.json<{ jobId: string }>();
      },
      { timeout: 15_000, interval: 200 },
    );
    const job = await finishedJob(queued.jobId);
    expect(job.result).toMatchObject({ fileId: expect.any(String) });
    expect(worker.exited).toBe(false);
    expect(worker.output).toMatch(/worker redis connection restored|reconnect/i);
  }, 90_000);
});
