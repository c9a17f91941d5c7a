// Probes for load balancers and orchestrators. Liveness says the process serves HTTP;
// readiness says it can do useful work: PostgreSQL and Redis answer, and it is not draining.
import fp from 'fastify-plugin';
import { Type } from 'typebox';

const CHECK_TIMEOUT_MS = 1_000;

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms).unref()),
  ]);
}

const Check = Type.Object({ status: Type.Union([Type.Literal('up'), Type.Literal('down')]), error: Type.Optional(Type.String()) });
const Readiness = Type.Object({
  status: Type.Union([Type.Literal('ok'), Type.Literal('unavailable')]),
  checks: Type.Object({ postgres: Check, redis: Check }),
});

export default fp(
  async (app) => {
    const check = async (probe: () => Promise<unknown>) => {
      try {
        await withTimeout(probe(), CHECK_TIMEOUT_MS);
        return { status: 'up' as const };
      } catch (err) {
        return { status: 'down' as const, error: err instanceof Error ? err.message : String(err) };
      }
    };

    app.get(
      '/health/live',
      { logLevel: 'warn', schema: { tags: ['health'], summary: 'Liveness', response: { 200: Type.Object({ status: Type.Literal('ok') }) } } },
      async () => ({ status: 'ok' as const }),
    );

    app.get(
      '/health/ready',
      {
        logLevel: 'warn',
        schema: { tags: ['health'], summary: 'Readiness: PostgreSQL and Redis reachable, not draining', response: { 200: Readiness, 503: Readiness } },
      },
      async (_request, reply) => {
        const [postgres, redis] = await Promise.all([check(() => app.prisma.$queryRaw`SELECT 1`), check(() => app.redis.ping())]);
        const ok = postgres.status === 'up' && redis.status === 'up' && !app.draining;
        return reply.code(ok ? 200 : 503).send({ status: ok ? 'ok' : 'unavailable', checks: { postgres, redis } });
      },
    );
  },
  { name: 'health', dependencies: ['prisma', 'redis', 'draining'] },
);
