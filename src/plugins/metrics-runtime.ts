// The gauges an operator reads next to the request metrics (src/plugins/metrics.ts): how full
// the PostgreSQL pools are, whether the Redis connections are up, and how many jobs wait, run
// or failed in each queue. All read at scrape time (collect), so nothing is kept in step on the
// request path. The queue counts ask Redis once per queue and scrape, with a short budget: a
// slow Redis makes a scrape miss these series, never hang it.
import fp from 'fastify-plugin';
import { Gauge } from 'prom-client';
import type { PgPool } from '../db/prisma.js';
import { QUEUE_NAMES } from '../infra/queues/definitions.js';
import type { JobQueues } from '../infra/queues/job-queues.js';

export interface RuntimeMetricsOptions {
  pools: Record<string, PgPool>;
  redis: Record<string, { status: string }>;
  queues: Pick<JobQueues, 'queues' | 'isAvailable'>;
}

const JOB_STATES = ['waiting', 'active', 'delayed', 'failed', 'completed', 'prioritized', 'waiting-children'] as const;
const QUEUE_COUNT_BUDGET_MS = 1_000;

function within<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('timed out')), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

export default fp<RuntimeMetricsOptions>(
  async (app, { pools, redis, queues }) => {
    const registers = [app.metrics.registry];

    new Gauge({
      name: 'db_pool_connections',
      help: 'PostgreSQL pool connections by pool and state (total = open, idle, waiting = callers queued for one)',
      labelNames: ['pool', 'state'],
      registers,
      collect() {
        for (const [name, pool] of Object.entries(pools)) {
          this.set({ pool: name, state: 'total' }, pool.totalCount);
          this.set({ pool: name, state: 'idle' }, pool.idleCount);
          this.set({ pool: name, state: 'waiting' }, pool.waitingCount);
        }
      },
    });
    new Gauge({
      name: 'db_pool_max_connections',
      help: 'Size limit of each PostgreSQL pool',
      labelNames: ['pool'],
      registers,
      collect() {
        for (const [name, pool] of Object.entries(pools)) this.set({ pool: name }, pool.options.max ?? 10);
      },
    });
    new Gauge({
      name: 'redis_connection_up',
      help: 'Whether each Redis connection of this instance is ready (1) or not (0)',
      labelNames: ['connection'],
      registers,
      collect() {
        for (const [name, connection] of Object.entries(redis))
          this.set({ connection: name }, connection.status === 'ready' ? 1 : 0);
      },
    });
    new Gauge({
      name: 'job_queue_jobs',
      help: 'Jobs in each queue by state (waiting = the backlog, active, delayed, failed, completed kept)',
      labelNames: ['queue', 'state'],
      registers,
      async collect() {
        if (!queues.isAvailable()) return;
        await Promise.all(
          QUEUE_NAMES.map(async (name) => {
            try {
              const counts = await within(queues.queues[name].getJobCounts(...JOB_STATES), QUEUE_COUNT_BUDGET_MS);
              for (const state of JOB_STATES) this.set({ queue: name, state }, counts[state] ?? 0);
            } catch {
              // Redis too slow or away: redis_connection_up says so; no stale number is kept.
              for (const state of JOB_STATES) this.remove({ queue: name, state });
            }
          }),
        );
      },
    });
  },
  { name: 'metrics-runtime', dependencies: ['metrics'] },
);
