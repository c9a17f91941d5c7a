// Probes for load balancers and orchestrators. Liveness says the process serves HTTP;
// readiness says it can do useful work: PostgreSQL and Redis answer (and the bucket, when files
// live in S3), and it is not draining.
import type { FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { Type } from 'typebox';
import { jsonResponse } from '../lib/openapi.js';
import { TaskCancelledError } from '../lib/resilience.js';
import { quieterOf } from '../infra/logging.js';

// Both checks run in parallel, so this is the probe's answer time when a dependency stalls
// (a frozen Redis answers nothing and raises no error); orchestrators commonly give a probe 1 s.
export const CHECK_BUDGET_MS = 500;
// PostgreSQL's budget until it has answered a check once in this process: a process's first
// query loads Prisma's engine and opens a connection (365-998 ms measured on a busy host). The
// prisma plugin pays that before listening; this covers a start while the database was down.
export const COLD_CHECK_BUDGET_MS = 2_000;
// Budgets count the time this process could run (see runningTime); a loop that stalls again and
// again still answers within this many budgets.
const MAX_BUDGETS = 3;
const TICK_MS = 25;

/**
 * Resolves once `budgetMs` of this process's running time has passed. A tick that comes late
 * means the event loop could not run (a long synchronous task, a CPU-starved host): that time
 * is not the dependency's fault and is not counted, and the answer that arrived meanwhile is
 * read before the budget can run out (without this, a 600 ms stall fails every check in
 * flight, because timers run before I/O callbacks). Never later than MAX_BUDGETS budgets.
 */
function runningTime(budgetMs: number): { elapsed: Promise<void>; cancel: () => void } {
  let timer: NodeJS.Timeout | undefined;
  const elapsed = new Promise<void>((resolve) => {
    const started = performance.now();
    let last = started;
    let counted = 0;
    const tick = () => {
      const now = performance.now();
      const stalled = now - last > 2 * TICK_MS;
      if (!stalled) counted += now - last;
      last = now;
      if ((!stalled && counted >= budgetMs) || now - started >= MAX_BUDGETS * budgetMs) resolve();
      else timer = setTimeout(tick, TICK_MS).unref();
    };
    timer = setTimeout(tick, TICK_MS).unref();
  });
  return { elapsed, cancel: () => clearTimeout(timer) };
}

// The probe is public (load balancers, orchestrators): it says which dependency is down, never
// why. Error messages name hosts, ports and users; they go to the log under the request id.
const Check = Type.Object({ status: Type.Enum(['up', 'down']) }, { additionalProperties: false });
const Readiness = Type.Object(
  {
    status: Type.Enum(['ok', 'unavailable']),
    checks: Type.Object(
      // storage: only when STORAGE_DRIVER=s3 (a local disk has nothing remote to be down).
      { postgres: Check, redis: Check, storage: Type.Optional(Check) },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);

type Dependency = 'postgres' | 'redis' | 'storage';

export interface HealthOptions {
  /** One cheap round trip to each dependency (SELECT 1, PING, HeadBucket); storage is optional. */
  probes: Record<'postgres' | 'redis', () => Promise<unknown>> & { storage?: () => Promise<unknown> };
}

export default fp<HealthOptions>(
  async (app, { probes }) => {
    // One probe per dependency at a time: against a stalled dependency, probes that time out
    // would otherwise pile up (each holding a pool connection); a new check joins the pending one.
    const inFlight = new Map<Dependency, Promise<unknown>>();
    let postgresAnswered = false;

    const check = async (request: FastifyRequest, name: Dependency, probe: () => Promise<unknown>) => {
      let pending = inFlight.get(name);
      if (!pending) {
        pending = probe().finally(() => inFlight.delete(name));
        inFlight.set(name, pending);
      }
      const budgetMs = name === 'postgres' && !postgresAnswered ? COLD_CHECK_BUDGET_MS : CHECK_BUDGET_MS;
      const budget = runningTime(budgetMs);
      try {
        const answered = await Promise.race([pending.then(() => true), budget.elapsed.then(() => false)]);
        if (!answered) throw new TaskCancelledError(`no answer within ${budgetMs} ms`);
        if (name === 'postgres') postgresAnswered = true;
        return { status: 'up' as const };
      } catch (err) {
        request.log.warn({ err, check: name }, `readiness check failed: ${name}`);
        return { status: 'down' as const };
      } finally {
        budget.cancel();
      }
    };

    app.get(
      '/health/live',
      {
        logLevel: quieterOf('warn', app.config.logLevel),
        schema: {
          tags: ['health'],
          operationId: 'getLiveness',
          summary: 'Liveness',
          response: { 200: jsonResponse('The process serves HTTP', Type.Object({ status: Type.Literal('ok') })) },
        },
      },
      async () => ({ status: 'ok' as const }),
    );

    app.get(
      '/health/ready',
      {
        logLevel: quieterOf('warn', app.config.logLevel),
        schema: {
          tags: ['health'],
          operationId: 'getReadiness',
          summary: 'Readiness: PostgreSQL, Redis (and the S3 bucket) reachable, not draining',
          description: 'Says which dependency is up or down, not why: the reason is logged with the request id.',
          response: {
            200: jsonResponse('Ready: every dependency is up', Readiness),
            503: jsonResponse('Not ready: a dependency is down or the instance is draining', Readiness),
          },
        },
      },
      async (request, reply) => {
        const [postgres, redis, storage] = await Promise.all([
          check(request, 'postgres', probes.postgres),
          check(request, 'redis', probes.redis),
          probes.storage ? check(request, 'storage', probes.storage) : undefined,
        ]);
        const checks = { postgres, redis, ...(storage && { storage }) };
        const ok = Object.values(checks).every((c) => c.status === 'up') && !app.draining;
        return reply.code(ok ? 200 : 503).send({ status: ok ? 'ok' : 'unavailable', checks });
      },
    );
  },
  { name: 'health', dependencies: ['draining'] },
);
