// What a process opens to reach PostgreSQL: the Prisma client and its pg pool, and the exports'
// own small pool (export-pool.ts), with the warm-up started at once so that it overlaps the rest
// of the start-up.
import type { Logger } from '../lib/logger.js';
import { budget } from '../lib/resilience.js';
import { createExportPool } from './export-pool.js';
import { createDatabase, type PgPool, type PrismaClient } from './prisma.js';

/**
 * The longest start-up waits for the warm-up. A database that is down or frozen does not keep
 * the api from starting (readiness reports it): the pool's connect timeout (3 s) ends it sooner.
 */
export const WARM_UP_TIMEOUT_MS = 5_000;

export interface DatabaseConfig {
  databaseUrl: string;
  databasePoolMax: number;
  exportConcurrency: number;
}

export interface OpenDatabase {
  prisma: PrismaClient;
  /** The pool under Prisma, for the few repositories that stream raw SQL. */
  pool: PgPool;
  /** The exports' own pool: a slow download never takes an API connection. */
  exportPool: PgPool;
  /**
   * Settles once the first query ran (or failed, which is logged): the api awaits it before
   * listening, so the first probe and the first request do not pay for the engine and a connection.
   */
  warmedUp: Promise<void>;
  close(): Promise<void>;
}

export function openDatabase(config: DatabaseConfig, log: Logger): OpenDatabase {
  const database = createDatabase({ databaseUrl: config.databaseUrl, poolMax: config.databasePoolMax });
  const exportPool = createExportPool(config.databaseUrl, config.exportConcurrency);
  const started = performance.now();
  const warmedUp = budget(WARM_UP_TIMEOUT_MS)
    .execute(() => database.warmUp())
    .then(
      () => log.debug({ ms: Math.round(performance.now() - started) }, 'database warmed up'),
      (err: unknown) =>
        log.warn({ err }, 'database warm-up failed; starting anyway, readiness reports postgres down until it answers'),
    );
  return {
    prisma: database.prisma,
    pool: database.pool,
    exportPool,
    warmedUp,
    async close() {
      await Promise.all([database.close(), exportPool.end()]);
    },
  };
}
