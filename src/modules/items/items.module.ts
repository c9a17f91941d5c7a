// The items module: CRUD with ownership, filters and pagination, a Redis cache-aside for single
// reads, and the streamed CSV export. Writes run in a unit of work; each committed write drops
// the item's cache entry on every instance.
import type { FastifyPluginAsync } from 'fastify';
import type { Redis } from 'ioredis';
import type { Config } from '../../config.js';
import type { PgPool, PrismaClient } from '../../db/prisma.js';
import { prismaUnitOfWork, type DbClient } from '../../db/unit-of-work.js';
import { EntityCache } from '../../infra/redis/entity-cache.js';
import type { Logger } from '../../lib/logger.js';
import { ItemsExportRepository } from './items-export.repository.js';
import { ItemsExportService } from './items-export.service.js';
import { itemsExportRoutes } from './items.export.js';
import { ItemsRepository } from './items.repository.js';
import { itemsRoutes } from './items.routes.js';
import { ItemsService } from './items.service.js';

export interface ItemsModuleDeps {
  config: Pick<Config, 'cacheTtl' | 'exportConcurrency' | 'exportStallTimeout'>;
  prisma: PrismaClient;
  /** The pool under Prisma: the list's SQL fast path (items.repository.ts). */
  pool: PgPool;
  /** The exports' own pool (db/export-pool.ts). */
  exportPool: PgPool;
  redis: Redis;
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
  { config, prisma, pool, exportPool, redis, log }: ItemsModuleDeps,
  overrides: ItemsModuleOverrides = {},
) {
  const makeRepository = overrides.makeRepository ?? ((db: DbClient) => new ItemsRepository(db));
  // The top-level repository also gets the pool, for the list's SQL (not the transactional ones).
  const repository =
    overrides.repository ?? (overrides.makeRepository ? makeRepository(prisma) : new ItemsRepository(prisma, pool));
  const cache = new EntityCache({ redis, namespace: 'items', ttlSeconds: config.cacheTtl, log });
  const unitOfWork = prismaUnitOfWork(prisma, (db) => ({ items: makeRepository(db) }));
  const service = new ItemsService(repository, unitOfWork, (id) => cache.invalidate(id));
  // Exports stream on their own small pool, bounded in number and cut when their client stalls.
  const exportService =
    overrides.exportService ??
    new ItemsExportService(new ItemsExportRepository(exportPool), {
      maxConcurrent: config.exportConcurrency,
      stallTimeoutMs: config.exportStallTimeout * 1000,
    });
  const routes: FastifyPluginAsync = async (app) => {
    // The export's static path first: the router matches it before `/:id`.
    await app.register(itemsExportRoutes, { exporter: exportService });
    await app.register(itemsRoutes, { items: service, cache });
  };
  return { service, cache, exportService, routes };
}
