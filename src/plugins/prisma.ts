// The database: the Prisma client (app.prisma) and the pg pool under it (app.pg) for the
// repositories that stream raw SQL. Warmed up before the app serves; closed with the app.
import fp from 'fastify-plugin';
import { createExportPool } from '../db/export-pool.js';
import { createDatabase, type PgPool, type PrismaClient } from '../db/prisma.js';
import { budget } from '../lib/resilience.js';

declare module 'fastify' {
  interface FastifyInstance {
    prisma: PrismaClient;
    pg: PgPool;
    /** The exports' own small pool (src/db/export-pool.ts): a slow download never takes an API connection. */
    pgExport: PgPool;
  }
}

/**
 * The longest start-up waits for the warm-up. A database that is down or frozen does not keep
 * the api from starting (readiness reports it): the pool's connect timeout (3 s) ends it sooner.
 */
export const WARM_UP_TIMEOUT_MS = 5_000;

export default fp(
  async (app) => {
    const database = createDatabase({ databaseUrl: app.config.databaseUrl, poolMax: app.config.databasePoolMax });
    app.decorate('prisma', database.prisma);
    app.decorate('pg', database.pool);
    const exportPool = createExportPool(app.config.databaseUrl, app.config.exportConcurrency);
    app.decorate('pgExport', exportPool);
    // Started now, so it overlaps the rest of the start-up, and awaited before listening
    // (listen() waits for onReady): the first readiness probe and the first request do not pay
    // for the query engine and a new connection.
    const started = performance.now();
    const warmUp = budget(WARM_UP_TIMEOUT_MS)
      .execute(() => database.warmUp())
      .then(
        () => undefined,
        (err: unknown) => err,
      );
    app.addHook('onReady', async () => {
      const err = await warmUp;
      if (err === undefined) app.log.debug({ ms: Math.round(performance.now() - started) }, 'database warmed up');
      else
        app.log.warn(
          { err },
          'database warm-up failed; starting anyway, readiness reports postgres down until it answers',
        );
    });
    app.addHook('onClose', async () => {
      await Promise.all([database.close(), exportPool.end()]);
    });
  },
  { name: 'prisma', dependencies: ['config'] },
);
