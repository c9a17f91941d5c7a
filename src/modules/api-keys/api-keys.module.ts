// The API-keys module: personal keys, shown once, accepted by the auth guard as `X-API-Key`.
import type { FastifyPluginAsync } from 'fastify';
import type { PrismaClient } from '../../db/prisma.js';
import { ApiKeysRepository } from './api-keys.repository.js';
import { apiKeysRoutes } from './api-keys.routes.js';
import { apiKeyPrefix, ApiKeysService } from './api-keys.service.js';

export interface ApiKeysModuleDeps {
  prisma: PrismaClient;
  /** Ends live connections opened with a deleted key, on every instance (the auth module's sessions). */
  liveConnections: { credentialRevoked(userId: number): Promise<void> };
}

export function apiKeysModule({ prisma, liveConnections }: ApiKeysModuleDeps) {
  const service = new ApiKeysService({ keys: new ApiKeysRepository(prisma), liveConnections });
  const routes: FastifyPluginAsync = async (app) => {
    await app.register(apiKeysRoutes, { apiKeys: service });
  };
  // What the auth guards and live connections check an `X-API-Key` with.
  const credentials = { authenticate: (key: string) => service.authenticate(key), prefixOf: apiKeyPrefix };
  return { service, credentials, routes };
}
