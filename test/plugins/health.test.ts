import net from 'node:net';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import type { App } from '../../src/compose/api.js';
import { CHECK_BUDGET_MS, COLD_CHECK_BUDGET_MS } from '../../src/plugins/health.js';
import { buildTestApp, problemOf } from '../helpers/app.js';

let app: App;

/** Blocks the event loop, as a long synchronous task or a CPU-starved host does. */
function stallEventLoop(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // busy: no timer, no I/O callback runs meanwhile
  }
}

/**
 * A TCP proxy in front of PostgreSQL that either resets every connection (the database is
 * down) or passes the traffic with the server's answers delayed: the first one of each
 * connection by `connectDelayMs` (a slow connection set-up), every one by `delayMs`.
 */
class SlowProxy {
  mode: { refuse: true } | { refuse: false; connectDelayMs: number; delayMs: number } = { refuse: true };
  private readonly sockets = new Set<net.Socket>();
  private readonly server = net.createServer((client) => {
    if (this.mode.refuse) return void client.destroy();
    const upstream = net.connect(5432, '127.0.0.1');
    this.sockets.add(client).add(upstream);
    for (const socket of [client, upstream]) socket.on('error', () => socket.destroy());
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    client.pipe(upstream);
    let answers = 0;
    // Chained, so the answers keep their order whatever the delays.
    let previous = Promise.resolve();
    upstream.on('data', (chunk: Buffer) => {
      const { connectDelayMs = 0, delayMs = 0 } = this.mode.refuse ? {} : this.mode;
      const wait = delayMs + (answers++ === 0 ? connectDelayMs : 0);
      previous = previous
        .then(() => new Promise<void>((resolve) => setTimeout(resolve, wait)))
        .then(() => void client.write(chunk));
    });
  });

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    const url = new URL(inject('databaseUrl'));
    url.host = `127.0.0.1:${(this.server.address() as net.AddressInfo).port}`;
    return url.toString();
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

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
    const degraded = await buildTestApp({
      env: { REDIS_URL: 'redis://127.0.0.1:1', LOG_LEVEL: 'info' },
      logStream: { write: (line) => void logLines.push(line) },
    });
    try {
      const started = Date.now();
      const response = await degraded.inject({
        method: 'GET',
        url: '/health/ready',
        headers: { 'x-request-id': 'ready-redis-down' },
      });
      expect(Date.now() - started).toBeLessThan(1500);
      expect(response.statusCode).toBe(503);
      // Which dependency is down, and nothing about why: no host, port or driver message.
      expect(response.json()).toEqual({
        status: 'unavailable',
        checks: { postgres: { status: 'up' }, redis: { status: 'down' } },
      });
      expect(response.body).not.toMatch(/127\.0\.0\.1|:1\b|ECONNREFUSED|connect|closed|error/i);
      // The reason is in the log, under the request id.
      const logged = logLines
        .map((line) => JSON.parse(line))
        .filter((line) => line.requestId === 'ready-redis-down' && line.check === 'redis');
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
      const response = await degraded.inject({
        method: 'GET',
        url: '/health/ready',
        headers: { 'x-request-id': 'ready-pg-down' },
      });
      expect(response.statusCode).toBe(503);
      expect(response.json()).toEqual({
        status: 'unavailable',
        checks: { postgres: { status: 'down' }, redis: { status: 'up' } },
      });
      expect(response.body).not.toMatch(/127\.0\.0\.1|:1\b|ECONNREFUSED|postgres:\/\/|connect|error/i);
      const logged = logLines
        .map((line) => JSON.parse(line))
        .find((line) => line.requestId === 'ready-pg-down' && line.check === 'postgres');
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
    expect(response.json()).toEqual({
      status: 'unavailable',
      checks: { postgres: { status: 'up' }, redis: { status: 'up' } },
    });
    await draining.close();
  });

  it('warms PostgreSQL before serving: the engine is loaded and the pool holds a connection', async () => {
    const logLines: string[] = [];
    const fresh = await buildTestApp({
      env: { LOG_LEVEL: 'debug' },
      logStream: { write: (line) => void logLines.push(line) },
    });
    try {
      // Nothing has asked for the database yet; ready() did.
      expect(fresh.services.database.pool.totalCount).toBeGreaterThanOrEqual(1);
      expect(logLines.map((line) => JSON.parse(line)).find((line) => line.msg === 'database warmed up')).toMatchObject({
        level: 20,
        ms: expect.any(Number),
      });
      const response = await fresh.inject({ method: 'GET', url: '/health/ready' });
      expect(response.statusCode).toBe(200);
    } finally {
      await fresh.close();
    }
  });

  it('counts an answer that arrived while the event loop was stalled as up', async () => {
    // The loop stalls right after the checks were sent, for longer than their budget: both
    // answers are in the sockets when it runs again, and they are read before any verdict.
    const stalled = await buildTestApp({
      extend: (instance) =>
        instance.addHook('preHandler', async (request) => {
          if (request.url === '/health/ready') setImmediate(() => stallEventLoop(CHECK_BUDGET_MS + 300));
        }),
    });
    try {
      const response = await stalled.inject({ method: 'GET', url: '/health/ready' });
      expect(response.json()).toEqual({
        status: 'ok',
        checks: { postgres: { status: 'up' }, redis: { status: 'up' } },
      });
      expect(response.statusCode).toBe(200);
    } finally {
      await stalled.close();
    }
  });

  it('gives PostgreSQL a longer budget until it first answers, then the usual one', async () => {
    const proxy = new SlowProxy();
    const databaseUrl = await proxy.start();
    // Down at start: the warm-up fails at once and the api starts anyway.
    const cold = await buildTestApp({ env: { DATABASE_URL: databaseUrl, DATABASE_POOL_MAX: '2' } });
    try {
      expect((await cold.inject({ method: 'GET', url: '/health/ready' })).json().checks.postgres).toEqual({
        status: 'down',
      });

      // Back, slowly: setting up a connection takes longer than the usual budget, well within
      // the cold one.
      proxy.mode = { refuse: false, connectDelayMs: CHECK_BUDGET_MS + 300, delayMs: 0 };
      const started = performance.now();
      const first = await cold.inject({ method: 'GET', url: '/health/ready' });
      const firstMs = performance.now() - started;
      expect(first.json(), `first check after the outage took ${Math.round(firstMs)} ms`).toEqual({
        status: 'ok',
        checks: { postgres: { status: 'up' }, redis: { status: 'up' } },
      });
      expect(firstMs).toBeGreaterThan(CHECK_BUDGET_MS);
      expect(firstMs).toBeLessThan(COLD_CHECK_BUDGET_MS);

      // Warm: the pooled connection answers at once.
      expect((await cold.inject({ method: 'GET', url: '/health/ready' })).statusCode).toBe(200);
      // A database that takes longer than the usual budget to answer is reported down again.
      proxy.mode = { refuse: false, connectDelayMs: 0, delayMs: CHECK_BUDGET_MS + 500 };
      const slow = await cold.inject({ method: 'GET', url: '/health/ready' });
      expect(slow.statusCode).toBe(503);
      expect(slow.json().checks.postgres).toEqual({ status: 'down' });
    } finally {
      await cold.close();
      await proxy.stop();
    }
  }, 30_000);

  it('is not shed for the event-loop lag of its own start-up, and is under overload later', async () => {
    const sampleMs = 500;
    const slowStart = await buildTestApp({
      // A threshold any lag exceeds; start-up blocks the loop, as compiling every schema does
      // on a busy host.
      env: { MAX_EVENT_LOOP_DELAY: '1', EVENT_LOOP_SAMPLE_INTERVAL: String(sampleMs) },
      extend: (instance) => void instance.register(async () => stallEventLoop(600)),
    });
    try {
      await vi.waitFor(() => expect(slowStart.memoryUsage().eventLoopDelay).toBeGreaterThan(1), {
        timeout: sampleMs * 2,
        interval: 5,
      });
      const first = await slowStart.inject({ method: 'GET', url: '/health/ready' });
      expect(first.statusCode, first.body).toBe(200);

      // Two sample intervals after ready, lag is overload again.
      await new Promise((resolve) => setTimeout(resolve, 2 * sampleMs + 100));
      stallEventLoop(300);
      await vi.waitFor(() => expect(slowStart.memoryUsage().eventLoopDelay).toBeGreaterThan(1), {
        timeout: sampleMs * 2,
        interval: 5,
      });
      const later = await slowStart.inject({ method: 'GET', url: '/health/ready' });
      expect(later.statusCode).toBe(503);
      expect(problemOf(later).detail).toMatch(/overloaded/);
    } finally {
      await slowStart.close();
    }
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
