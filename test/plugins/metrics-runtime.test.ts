// The gauges and counters people read next to the request metrics: pool usage, Redis
// connections, queue depth by state, the representation cache's hits and misses; and the
// worker's own /metrics (job durations and outcomes) behind the same Basic credentials.
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import type { App } from '../../src/compose/api.js';
import { startWorkerRuntime, type WorkerRuntime } from '../../src/compose/worker.js';
import { buildTestApp, testConfig } from '../helpers/app.js';
import { createItem } from '../helpers/factories/items.js';
import { createUser } from '../helpers/factories/users.js';

const credentials = { METRICS_USERNAME: 'scraper', METRICS_PASSWORD: 'scrape-secret-123' };
const basic = `Basic ${Buffer.from('scraper:scrape-secret-123').toString('base64')}`;
let app: App;

beforeAll(async () => {
  app = await buildTestApp({ env: { ...credentials, REDIS_PREFIX: `${inject('redisPrefix')}metrics-runtime:` } });
});
afterAll(() => app.close());

const scrape = async () =>
  (await app.inject({ method: 'GET', url: '/metrics', headers: { authorization: basic } })).body;

describe('runtime metrics of the api', () => {
  it('reports pool usage, Redis connections and jobs per queue and state', async () => {
    const body = await scrape();
    expect(body).toMatch(/^db_pool_connections\{pool="api",state="total"\} \d+$/m);
    expect(body).toMatch(/^db_pool_connections\{pool="export",state="waiting"\} 0$/m);
    expect(body).toMatch(/^db_pool_max_connections\{pool="api"\} \d+$/m);
    expect(body).toMatch(/^redis_connection_up\{connection="commands"\} 1$/m);
    expect(body).toMatch(/^redis_connection_up\{connection="queues"\} 1$/m);
    for (const queue of ['email', 'imports', 'reports'])
      for (const state of ['waiting', 'active', 'failed', 'delayed'])
        expect(body).toMatch(new RegExp(`^job_queue_jobs\\{queue="${queue}",state="${state}"\\} \\d+$`, 'm'));
    expect(body).toMatch(/^nodejs_eventloop_lag_seconds \S+$/m);
  });

  it('counts representation cache misses and hits per route', async () => {
    const user = await createUser(app);
    const item = await createItem(app, user);
    const read = () => app.inject({ method: 'GET', url: `/api/v1/items/${item.id}`, headers: user.headers });
    expect((await read()).headers['x-cache']).toBe('MISS');
    expect((await read()).headers['x-cache']).toBe('HIT');
    const body = await scrape();
    expect(body).toMatch(/^http_cache_lookups_total\{route="\/api\/v1\/items\/:id",result="miss"\} [1-9]\d*$/m);
    expect(body).toMatch(/^http_cache_lookups_total\{route="\/api\/v1\/items\/:id",result="hit"\} [1-9]\d*$/m);
  });
});

describe('the worker /metrics (WORKER_METRICS_PORT)', () => {
  let worker: WorkerRuntime | undefined;
  afterAll(() => worker?.close());

  it('times each job by queue and outcome, behind Basic credentials', async () => {
    const port = 20_000 + Math.floor(Math.random() * 20_000);
    const env = {
      ...credentials,
      REDIS_PREFIX: `${inject('redisPrefix')}metrics-runtime:`,
      WORKER_METRICS_PORT: String(port),
      WORKER_QUEUES: 'reports',
    };
    worker = await startWorkerRuntime(testConfig(env), { queues: ['reports'] });
    const url = `http://127.0.0.1:${port}/metrics`;
    expect((await fetch(url)).status).toBe(401);
    expect((await fetch(url, { headers: { authorization: 'Basic c2NyYXBlcjp3cm9uZw==' } })).status).toBe(401);
    expect((await fetch(`http://127.0.0.1:${port}/other`, { headers: { authorization: basic } })).status).toBe(404);

    // One attempt of whatever outcome is enough to count and time.
    await app.services.queues.queues.reports.add('no-such-report', { ownerId: null }, { attempts: 1 });
    await vi.waitFor(
      async () => {
        const body = await (await fetch(url, { headers: { authorization: basic } })).text();
        expect(body).toMatch(/^job_runs_total\{queue="reports",outcome="(?:completed|failed)"\} [1-9]\d*$/m);
        expect(body).toMatch(
          /^job_duration_seconds_count\{queue="reports",outcome="(?:completed|failed)"\} [1-9]\d*$/m,
        );
      },
      { timeout: 15_000, interval: 100 },
    );
  });
});
