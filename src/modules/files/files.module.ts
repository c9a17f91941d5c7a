// The files module: uploads (multipart, streamed to storage, checked against their declared
// type), downloads with ranges, listing and deletion.
import type { FastifyPluginAsync } from 'fastify';
import type { Config } from '../../config.js';
import type { PrismaClient } from '../../db/prisma.js';
import type { Storage } from '../../infra/storage/storage.js';
import type { Logger } from '../../lib/logger.js';
import { FilesRepository } from './files.repository.js';
import { filesRoutes } from './files.routes.js';
import { FilesService } from './files.service.js';

export interface FilesModuleDeps {
  config: Pick<Config, 'maxUploadBytes' | 'allowedUploadTypes'>;
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
  });
  const routes: FastifyPluginAsync = async (app) => {
    await app.register(filesRoutes, { files: service, maxUploadBytes: config.maxUploadBytes });
  };
  return { service, repository, routes };
}
