// The queue dashboard module: bull-board at /admin/queues, for admins only (HTTP Basic with a
// session cookie for browsers, or an admin bearer token).
import type { FastifyPluginAsync } from 'fastify';
import type { PrismaClient } from '../../db/prisma.js';
import type { JobQueues } from '../../infra/queues/job-queues.js';
import type { PasswordHasher } from '../auth/password-hasher.js';
import { RefreshTokensRepository } from '../auth/refresh-tokens.repository.js';
import { UsersRepository } from '../users/users.repository.js';
import { AdminCredentials } from './admin-credentials.js';
import { queueDashboard } from './queue-dashboard.routes.js';

export interface QueueDashboardModuleDeps {
  prisma: PrismaClient;
  hasher: PasswordHasher;
  queues: JobQueues;
  /** Where it is mounted: bull-board builds its links from it (the route prefix must match). */
  basePath: string;
}

export function queueDashboardModule({ prisma, hasher, queues, basePath }: QueueDashboardModuleDeps) {
  const credentials = new AdminCredentials({
    users: new UsersRepository(prisma),
    hasher,
    sessions: new RefreshTokensRepository(prisma),
  });
  const routes: FastifyPluginAsync = async (app) => {
    await app.register(queueDashboard, { queues, credentials, basePath });
  };
  return { routes };
}
