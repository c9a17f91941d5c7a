// PostgreSQL becomes unreachable under traffic, then comes back: requests that need it get 503
// problems with Retry-After (never a hang, never a 500), readiness says so, and the app
// recovers by itself once the database is back.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import type { App } from '../../src/compose/api.js';
import { buildTestApp } from '../../test/helpers/app.js';
import { TcpProxy } from './tcp-proxy.js';

let app: App;
const proxy = new TcpProxy('127.0.0.1', 5432);

beforeAll(async () => {
  const port = await proxy.start();
  const url = new URL(inject('databaseUrl'));
  url.host = `127.0.0.1:${port}`;
  app = await buildTestApp({ env: { DATABASE_URL: url.toString(), DATABASE_POOL_MAX: '4' } });
});
afterAll(async () => {
  await app.close();
  await proxy.cut();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('PostgreSQL outage', () => {
  it('answers 503 problems while it is down and recovers without a restart', async () => {
    expect((await app.inject({ method: 'GET', url: '/api/v1/items?limit=1' })).statusCode).toBe(200);

    await proxy.cut();
    const during = [];
    for (let i = 0; i < 10; i++) {
      const started = Date.now();
      const response = await app.inject({ method: 'GET', url: '/api/v1/items?limit=1' });
      during.push({
        status: response.statusCode,
        type: response.headers['content-type'],
        retryAfter: response.headers['retry-after'],
        ms: Date.now() - started,
      });
    }
    expect(
      during.map((r) => r.status),
      JSON.stringify(during),
    ).toEqual(Array(10).fill(503));
    expect(during.every((r) => String(r.type).startsWith('application/problem+json') && r.retryAfter === '5')).toBe(
      true,
    );
    // Bounded by the pool's connection timeout (3 s), never a hang.
    expect(Math.max(...during.map((r) => r.ms))).toBeLessThan(5_000);
    // The CSV export reads through the raw pg pool (COPY), not Prisma: the same 503.
    const exported = await app.inject({ method: 'GET', url: '/api/v1/items/export.csv' });
    expect(exported.statusCode).toBe(503);
    expect(String(exported.headers['content-type'])).toMatch(/^application\/problem\+json/);
    const ready = await app.inject({ method: 'GET', url: '/health/ready' });
    expect(ready.statusCode).toBe(503);
    expect(ready.json().checks.postgres.status).toBe('down');

    await proxy.start();
    let recovered = false;
    for (let attempt = 0; attempt < 50 && !recovered; attempt++) {
      recovered = (await app.inject({ method: 'GET', url: '/api/v1/items?limit=1' })).statusCode === 200;
      if (!recovered) await sleep(200);
    }
    expect(recovered).toBe(true);
    expect((await app.inject({ method: 'GET', url: '/health/ready' })).statusCode).toBe(200);
  }, 60_000);
});
