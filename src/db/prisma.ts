// The Prisma client factory. Only this file, the repositories and the unit of work import
// the generated client; services and routes see repository interfaces.
import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from '../generated/prisma/client.js';

export type { PrismaClient } from '../generated/prisma/client.js';

export interface PrismaOptions {
  databaseUrl: string;
  poolMax: number;
}

export function createPrismaClient({ databaseUrl, poolMax }: PrismaOptions): PrismaClient {
  const adapter = new PrismaPg({
    connectionString: databaseUrl,
    max: poolMax,
    // Fail fast instead of queueing forever when PostgreSQL is unreachable.
    connectionTimeoutMillis: 3_000,
    idleTimeoutMillis: 30_000,
  });
  return new PrismaClient({ adapter });
}
