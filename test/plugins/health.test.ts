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
    const logLines: string[] = [];
    const degraded = await buildTestApp({ env: { REDIS_URL: 'redis://127.0.0.1:1', LOG_LEVEL: 'info' }, logStream: { write: (line) => void logLines.push(line) } });
    try {
      const started = Date.now();
      const response = await degraded.inject({ method: 'GET', url: '/health/ready', headers: { 'x-request-id': 'ready-redis-down' } });
      expect(Date.now() - started).toBeLessThan(1500);
      expect(response.statusCode).toBe(503);
      // Which dependency is down, and nothing about why: no host, port or driver message.
      expect(response.json()).toEqual({ status: 'unavailable', checks: { postgres: { status: 'up' }, redis: { status: 'down' } } });
      expect(response.body).not.toMatch(/127\.0\.0\.1|:1\b|ECONNREFUSED|connect|closed|error/i);
      // The reason is in the log, under the request id.
      const logged = logLines.map((line) => JSON.parse(line)).filter((line) => line.requestId === 'ready-redis-down' && line.check === 'redis');
      expect(logged).toHaveLength(1);
      expect(logged[0]).toMatchObject({ level: 40, msg: 'readiness check failed: redis' });
      expect(logged[0].err.message).toEqual(expect.any(String));
      expect((await degraded.inject({ method: 'GET', url: '/api/v1/items?limit=1' })).statusCode).toBe(200);
    } finally {
      await degraded.close();
    }
  });

  it('ready answers 503 naming PostgreSQL when the database is unreachable', async () => {
    const logLines: string[] = [];
    const degraded = await buildTestApp({
      env: { DATABASE_URL: 'postgresql://postgres:postgres@127.0.0.1:1/none', LOG_LEVEL: 'info' },
      logStream: { write: (line) => void logLines.push(line) },
    });
    try {
      const response = await degraded.inject({ method: 'GET', url: '/health/ready', headers: { 'x-request-id': 'ready-pg-down' } });
      expect(response.statusCode).toBe(503);
      expect(response.json()).toEqual({ status: 'unavailable', checks: { postgres: { status: 'down' }, redis: { status: 'up' } } });
      expect(response.body).not.toMatch(/127\.0\.0\.1|:1\b|ECONNREFUSED|postgres:\/\/|connect|error/i);
      const logged = logLines.map((line) => JSON.parse(line)).find((line) => line.requestId === 'ready-pg-down' && line.check === 'postgres');
      expect(logged).toMatchObject({ level: 40, msg: 'readiness check failed: postgres' });
      expect(logged.err).toBeDefined();
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
    expect(response.json()).toEqual({ status: 'unavailable', checks: { postgres: { status: 'up' }, redis: { status: 'up' } } });
    await draining.close();
  });

  it('documents the public readiness shape: up or down per dependency, no error text', async () => {
    const document = (await app.inject({ method: 'GET', url: '/openapi.json' })).json();
    for (const status of ['200', '503']) {
      const schema = document.paths['/health/ready'].get.responses[status].content['application/json'].schema;
      expect(schema.additionalProperties).toBe(false);
      for (const name of ['postgres', 'redis']) {
        const check = schema.properties.checks.properties[name];
        expect(Object.keys(check.properties)).toEqual(['status']);
        expect(check.additionalProperties).toBe(false);
      }
    }
  });
});
