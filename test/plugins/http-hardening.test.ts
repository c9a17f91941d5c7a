import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/compose/api.js';
import { loadConfig } from '../../src/config.js';
import { buildTestApp, problemOf, testEnv } from '../helpers/app.js';
import { createUser } from '../helpers/factories/users.js';

let app: App;

beforeAll(async () => {
  app = await buildTestApp({ env: { CORS_ORIGINS: 'https://app.example.com' } });
});
afterAll(() => app.close());

describe('security headers, CORS and compression', () => {
  it('sets helmet security headers', async () => {
    const response = await app.inject({ method: 'GET', url: '/api/v1/info' });
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    expect(response.headers['x-frame-options']).toBe('SAMEORIGIN');
    expect(response.headers['content-security-policy']).toContain("default-src 'self'");
    expect(response.headers['x-powered-by']).toBeUndefined();
  });

  it('allows only the configured origins', async () => {
    const allowed = await app.inject({
      method: 'OPTIONS',
      url: '/api/v1/items',
      headers: { origin: 'https://app.example.com', 'access-control-request-method': 'POST' },
    });
    expect(allowed.statusCode).toBe(204);
    expect(allowed.headers['access-control-allow-origin']).toBe('https://app.example.com');
    expect(allowed.headers['access-control-allow-credentials']).toBe('true');

    const denied = await app.inject({
      method: 'GET',
      url: '/api/v1/info',
      headers: { origin: 'https://evil.example.com' },
    });
    expect(denied.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('compresses responses above 1 KB, not below', async () => {
    const user = await createUser(app);
    for (let i = 0; i < 15; i++) {
      await app.inject({
        method: 'POST',
        url: '/api/v1/items',
        headers: user.headers,
        payload: { name: `Compressible item ${i}`, price: 1, description: 'x'.repeat(100) },
      });
    }
    const big = await app.inject({
      method: 'GET',
      url: '/api/v1/items?limit=15',
      headers: { 'accept-encoding': 'gzip' },
    });
    expect(big.headers['content-encoding']).toBe('gzip');
    const small = await app.inject({ method: 'GET', url: '/api/v1/info', headers: { 'accept-encoding': 'gzip' } });
    expect(small.headers['content-encoding']).toBeUndefined();
  });
});

describe('load shedding (@fastify/under-pressure)', () => {
  it('reads its threshold from MAX_EVENT_LOOP_DELAY (1000 ms by default)', () => {
    const { MAX_EVENT_LOOP_DELAY: _, ...defaults } = testEnv();
    const config = loadConfig(defaults);
    expect(config.maxEventLoopDelay).toBe(1000);
    expect(config.eventLoopSampleInterval).toBe(1000);
  });

  it('answers 503 problem+json with Retry-After while the event loop lags, except /health/live', async () => {
    const threshold = 100;
    const lagging = await buildTestApp({
      env: { MAX_EVENT_LOOP_DELAY: String(threshold), EVENT_LOOP_SAMPLE_INTERVAL: '50' },
    });
    try {
      expect((await lagging.inject({ method: 'GET', url: '/api/v1/info' })).statusCode).toBe(200);

      // Block the loop for ten times the threshold: a CPU-bound handler or a sync call would.
      const until = Date.now() + threshold * 10;
      while (Date.now() < until) {
        // busy
      }
      // The lag is measured by a timer: wait (briefly) until the plugin has taken its sample.
      const deadline = Date.now() + 1_000;
      while (lagging.memoryUsage().eventLoopDelay <= threshold && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 1));
      expect(lagging.memoryUsage().eventLoopDelay).toBeGreaterThan(threshold);

      const [shed, live] = await Promise.all([
        lagging.inject({ method: 'GET', url: '/api/v1/info' }),
        lagging.inject({ method: 'GET', url: '/health/live' }),
      ]);
      expect(shed.statusCode).toBe(503);
      expect(shed.headers['retry-after']).toBe('5');
      expect(problemOf(shed)).toMatchObject({
        status: 503,
        title: 'Service Unavailable',
        detail: 'The server is overloaded, try again shortly',
      });
      // Liveness stays 200: an orchestrator must not restart a pod for being busy.
      expect(live.statusCode).toBe(200);
      expect(live.json()).toEqual({ status: 'ok' });

      // Once the loop is free again, requests are served.
      await expect
        .poll(async () => (await lagging.inject({ method: 'GET', url: '/api/v1/info' })).statusCode, {
          timeout: 2_000,
          interval: 20,
        })
        .toBe(200);
    } finally {
      await lagging.close();
    }
  });
});
