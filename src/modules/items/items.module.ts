// The items module: CRUD with ownership, filters and pagination, and a Redis cache-aside for
// single reads. Writes run in a unit of work; each committed write drops the item's cache entry
// on every instance.
//
// The plain path is the five items.* files: Prisma for every query, one implementation of
// each thing. fast-paths/ holds the two optimisations, each file opening with its measured
// reason, and this factory is the one place that chooses them:
// - the SQL list (items-sql-list.repository.ts): the list sent as SQL on the pg pool, +44 % req/s;
// - the streamed export (items-export.*): GET /export.csv as PostgreSQL's COPY, streamed to the
//   client with backpressure, bounded in number and cut when its client stalls.
// A module copied from this one leaves fast-paths/ out (see "Adding a resource" in README.md).
import type { FastifyPluginAsync } from 'fastify';
import type { Redis } from 'ioredis';
import type { Config } from '../../config.js';
import type { PgPool, PrismaClient } from '../../db/prisma.js';
import { prismaUnitOfWork, type DbClient } from '../../db/unit-of-work.js';
import { EntityCache, type InvalidationBus } from '../../infra/redis/entity-cache.js';
import type { Logger } from '../../lib/logger.js';
import { ItemsExportRepository } from './fast-paths/items-export.repository.js';
import { itemsExportRoutes } from './fast-paths/items-export.routes.js';
import { ItemsExportService } from './fast-paths/items-export.service.js';
import { SqlListItemsRepository } from './fast-paths/items-sql-list.repository.js';
import { ItemsRepository } from './items.repository.js';
import { itemsRoutes } from './items.routes.js';
import { ItemsService } from './items.service.js';

export interface ItemsModuleDeps {
  config: Pick<Config, 'cacheTtl' | 'cacheLocalTtl' | 'redisPrefix' | 'exportConcurrency' | 'exportStallTimeout'>;
  prisma: PrismaClient;
  /** The pool under Prisma: the SQL list's (fast-paths/items-sql-list.repository.ts). */
  pool: PgPool;
  /** The exports' own pool (db/export-pool.ts). */
  exportPool: PgPool;
  redis: Redis;
  /** Carries cache invalidations to every instance's in-process copy (the realtime hub). */
  bus: InvalidationBus;
  log: Logger;
}

/** Parts a test may replace; the rest is built as usual around them. */
export interface ItemsModuleOverrides {
  /** Builds the repository on a client or a transaction: replaces both the reads and the writes. */
  makeRepository?: (db: DbClient) => ItemsRepository;
  /** Replaces the repository of reads and lists only. */
  repository?: ItemsRepository;
  exportService?: ItemsExportService;
}

export function itemsModule(
  { config, prisma, pool, exportPool, redis, bus, log }: ItemsModuleDeps,
  overrides: ItemsModuleOverrides = {},
) {
  const makeRepository = overrides.makeRepository ?? ((db: DbClient) => new ItemsRepository(db));
  // Fast path: reads outside a transaction use the SQL list. Inside one (the unit of work below)
  // the plain repository lists with Prisma; a test's makeRepository replaces both.
  const repository =
    overrides.repository ??
    (overrides.makeRepository ? makeRepository(prisma) : new SqlListItemsRepository(prisma, pool));
  const cache = new EntityCache({
    redis,
    namespace: 'items',
    ttlSeconds: config.cacheTtl,
    log,
    local: { bus, channel: `${config.redisPrefix}cache:items:invalidated`, ttlMs: config.cacheLocalTtl * 1000 },
  });
  const unitOfWork = prismaUnitOfWork(prisma, (db) => ({ items: makeRepository(db) }));
  const service = new ItemsService(repository, unitOfWork, cache);
  // Fast path: the streamed export, on its own small pool.
  const exportService =
    overrides.exportService ??
    new ItemsExportService(new ItemsExportRepository(exportPool), {
      maxConcurrent: config.exportConcurrency,
      stallTimeoutMs: config.exportStallTimeout * 1000,
    });
  const routes: FastifyPluginAsync = async (app) => {
    // The export's static path first: the router matches it before `/:id`.
    await app.register(itemsExportRoutes, { exporter: exportService });
    await app.register(itemsRoutes, { items: service });
  };
  return { service, cache, exportService, routes };
}
