// The database client factory: one pg pool per process, used by Prisma (through the driver
// adapter) and, for the few operations Prisma cannot express, directly by repositories (the
// CSV export streams PostgreSQL's COPY output). Only this folder and the repositories import it;
// services and routes see repository interfaces.
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { PrismaClient } from '../generated/prisma/client.js';

export type { PrismaClient } from '../generated/prisma/client.js';
export type PgPool = pg.Pool;

export interface DatabaseOptions {
  databaseUrl: string;
  poolMax: number;
}

export interface Database {
  prisma: PrismaClient;
  pool: PgPool;
  /**
   * Pays the cost of a process's first query up front: Prisma loads its query engine and the pool
   * opens a connection (measured: 365-998 ms on a busy host, then 5-14 ms per query). The engine
   * loads even when the database is down; the query then rejects.
   */
  warmUp(): Promise<void>;
  /** Disconnects Prisma and ends the pool. */
  close(): Promise<void>;
}

export function createDatabase({ databaseUrl, poolMax }: DatabaseOptions): Database {
  const pool = new pg.Pool({
    connectionString: databaseUrl,
    max: poolMax,
    // Fail fast instead of queueing forever when PostgreSQL is unreachable.
    connectionTimeoutMillis: 3_000,
    idleTimeoutMillis: 30_000,
  });
  // An idle connection dropped by the server (restart, failover) must not crash the process;
  // the pool replaces it and the next query reports the outage.
  pool.on('error', () => {});
  const prisma = new PrismaClient({ adapter: new PrismaPg(pool) });
  return {
    prisma,
    pool,
    async warmUp() {
      await prisma.$connect();
      await prisma.$queryRaw`SELECT 1`;
    },
    async close() {
      await prisma.$disconnect();
      await pool.end();
    },
  };
}
