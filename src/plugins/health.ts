// Probes for load balancers and orchestrators. Liveness says the process serves HTTP;
// readiness says it can do useful work: PostgreSQL and Redis answer, and it is not draining.
import type { FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { quieterOf } from '../logger.js';
import { Type } from 'typebox';
import { withTimeout } from '../lib/with-timeout.js';

// Both checks run in parallel, so this is the probe's answer time when a dependency stalls
// (a frozen Redis answers nothing and raises no error); orchestrators commonly give a probe 1 s.
const CHECK_TIMEOUT_MS = 500;

// The probe is public (load balancers, orchestrators): it says which dependency is down, never
// why. Error messages name hosts, ports and users; they go to the log under the request id.
const Check = Type.Object({ status: Type.Union([Type.Literal('up'), Type.Literal('down')]) }, { additionalProperties: false });
const Readiness = Type.Object(
  {
    status: Type.Union([Type.Literal('ok'), Type.Literal('unavailable')]),
    checks: Type.Object({ postgres: Check, redis: Check }, { additionalProperties: false }),
  },
  { additionalProperties: false },
);

export default fp(
  async (app) => {
    const check = async (request: FastifyRequest, name: 'postgres' | 'redis', probe: () => Promise<unknown>) => {
      try {
        await withTimeout(probe(), CHECK_TIMEOUT_MS);
        return { status: 'up' as const };
      } catch (err) {
        request.log.warn({ err, check: name }, `readiness check failed: ${name}`);
        return { status: 'down' as const };
      }
    };

    app.get(
      '/health/live',
      { logLevel: quieterOf('warn', app.config.logLevel), schema: { tags: ['health'], summary: 'Liveness', response: { 200: Type.Object({ status: Type.Literal('ok') }) } } },
      async () => ({ status: 'ok' as const }),
    );

    app.get(
      '/health/ready',
      {
        logLevel: quieterOf('warn', app.config.logLevel),
        schema: {
          tags: ['health'],
          summary: 'Readiness: PostgreSQL and Redis reachable, not draining',
          description: 'Says which dependency is up or down, not why: the reason is logged with the request id.',
          response: { 200: Readiness, 503: Readiness },
        },
      },
      async (request, reply) => {
        const [postgres, redis] = await Promise.all([
          check(request, 'postgres', () => app.prisma.$queryRaw`SELECT 1`),
          check(request, 'redis', () => app.redis.ping()),
        ]);
        const ok = postgres.status === 'up' && redis.status === 'up' && !app.draining;
        return reply.code(ok ? 200 : 503).send({ status: ok ? 'ok' : 'unavailable', checks: { postgres, redis } });
      },
    );
  },
  { name: 'health', dependencies: ['prisma', 'redis', 'draining'] },
);
