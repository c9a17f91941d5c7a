// The files module: uploads (multipart, streamed to storage, checked against their declared
// type), downloads with ranges, listing and deletion; in the worker, the sweep that keeps rows
// and stored bytes in step.
import type { FastifyPluginAsync } from 'fastify';
import type { Config } from '../../config.js';
import type { PrismaClient } from '../../db/prisma.js';
import type { Storage } from '../../infra/storage/storage.js';
import type { Logger } from '../../lib/logger.js';
import { FilesRepository } from './files.repository.js';
import { filesRoutes } from './files.routes.js';
import { FilesService } from './files.service.js';
import { StorageSweepProcessor, type StorageSweepResult } from './storage-sweep.processor.js';
import { StorageSweepRepository } from './storage-sweep.repository.js';

/** Long enough to start a download, short enough that a leaked URL is soon useless. */
const SIGNED_DOWNLOAD_SECONDS = 300;

export interface FilesModuleDeps {
  config: Pick<Config, 'maxUploadBytes' | 'allowedUploadTypes' | 'fileDownload'>;
  prisma: PrismaClient;
  storage: Storage;
  log: Logger;
}

export function filesModule({ config, prisma, storage, log }: FilesModuleDeps) {
  const repository = new FilesRepository(prisma);
  const service = new FilesService({
    files: repository,
    storage,
    maxUploadBytes: config.maxUploadBytes,
    allowedTypes: config.allowedUploadTypes,
    log,
    ...(config.fileDownload === 'redirect' && { signedDownloadSeconds: SIGNED_DOWNLOAD_SECONDS }),
  });
  const routes: FastifyPluginAsync = async (app) => {
    await app.register(filesRoutes, { files: service, maxUploadBytes: config.maxUploadBytes });
  };
  return { service, repository, routes };
}

/** The worker's side: the `storage` queue's repeatable sweep of orphan objects and rows without bytes. */
export function storageSweepJobProcessor(deps: {
  prisma: PrismaClient;
  storage: Storage;
  log: Logger;
  graceMs: number;
}): () => Promise<StorageSweepResult> {
  const processor = new StorageSweepProcessor({ ...deps, repository: new StorageSweepRepository(deps.prisma) });
  return () => processor.run();
}
