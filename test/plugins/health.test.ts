import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.js';
import { buildTestApp } from '../helpers/app.js';

let app: App;

beforeAll(async () => {
  app = await buildTestApp();
});
afterAll(() => app.close());

describe('health probes', () => {
  it('live answers ok', async () => {
    const response = await app.inject({ method: 'GET', url: '/health/live' });
    expect(response.json()).toEqual({ status: 'ok' });
  });

  it('ready checks PostgreSQL and Redis', async () => {
    const response = await app.inject({ method: 'GET', url: '/health/ready' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ status: 'ok', checks: { postgres: { status: 'up' }, redis: { status: 'up' } } });
  });

  it('ready answers 503 naming Redis when Redis is unreachable, and the app still serves', async () => {
    const degraded = await buildTestApp({ env: { REDIS_URL: 'redis://127.0.0.1:1' } });
    try {
      const started = Date.now();
      const response = await degraded.inject({ method: 'GET', url: '/health/ready' });
      expect(Date.now() - started).toBeLessThan(1500);
      expect(response.statusCode).toBe(503);
      expect(response.json().checks).toMatchObject({ postgres: { status: 'up' }, redis: { status: 'down' } });
      expect((await degraded.inject({ method: 'GET', url: '/api/v1/items?limit=1' })).statusCode).toBe(200);
    } finally {
      await degraded.close();
    }
  });

  it('ready answers 503 naming PostgreSQL when the database is unreachable', async () => {
    const degraded = await buildTestApp({ env: { DATABASE_URL: 'postgresql://postgres:postgres@127.0.0.1:1/none' } });
    try {
      const response = await degraded.inject({ method: 'GET', url: '/health/ready' });
      expect(response.statusCode).toBe(503);
      expect(response.json().checks).toMatchObject({ postgres: { status: 'down' }, redis: { status: 'up' } });
      // Requests that need the database get a 503 problem with Retry-After, not a 500.
      const items = await degraded.inject({ method: 'GET', url: '/api/v1/items' });
      expect(items.statusCode).toBe(503);
      expect(items.headers['retry-after']).toBe('5');
      expect(items.headers['content-type']).toContain('application/problem+json');
      expect(items.json().detail).toBe('The database is unavailable, try again shortly');
    } finally {
      await degraded.close();
    }
  });

  it('ready answers 503 while the app drains', async () => {
    const draining = await buildTestApp();
    draining.draining = true;
    const response = await draining.inject({ method: 'GET', url: '/health/ready' });
    expect(response.statusCode).toBe(503);
    await draining.close();
  });
});
