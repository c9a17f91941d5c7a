// The CSV import module, both halves: the api stores the upload and queues a job (answering
// 202 with the job id); the worker parses the file and inserts its items in batches.
import type { Job } from 'bullmq';
import type { FastifyPluginAsync } from 'fastify';
import type { PgPool, PrismaClient } from '../../db/prisma.js';
import type { JobEnqueuer } from '../../infra/queues/definitions.js';
import type { Storage } from '../../infra/storage/storage.js';
import { FilesRepository } from '../files/files.repository.js';
import { ItemsImportProcessor, type ImportJob } from './items-import.processor.js';
import { ItemsImportRepository } from './items-import.repository.js';
import { itemsImportRoutes } from './items-import.routes.js';
import { ItemsImportService } from './items-import.service.js';

export interface ImportsModuleDeps {
  prisma: PrismaClient;
  storage: Storage;
  queues: JobEnqueuer;
  maxUploadBytes: number;
}

/** Routes under /items: POST /items/import. */
export function importsModule({ prisma, storage, queues, maxUploadBytes }: ImportsModuleDeps) {
  const service = new ItemsImportService({ storage, files: new FilesRepository(prisma), queues, maxUploadBytes });
  const routes: FastifyPluginAsync = async (app) => {
    await app.register(itemsImportRoutes, { imports: service, maxUploadBytes });
  };
  return { service, routes };
}

export interface ImportsProcessorDeps {
  prisma: PrismaClient;
  /** The pg pool: batches are inserted with one multi-row statement each. */
  pool: PgPool;
  storage: Storage;
  /** Tests give a repository that fails on purpose. */
  repository?: ItemsImportRepository;
}

/** The worker's side: runs the jobs of the `imports` queue. */
export function importsJobProcessor({ prisma, pool, storage, repository }: ImportsProcessorDeps) {
  const processor = new ItemsImportProcessor({
    storage,
    repository: repository ?? new ItemsImportRepository(prisma, pool),
  });
  return (job: Job) => processor.process(job as unknown as ImportJob);
}
