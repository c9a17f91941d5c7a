// The users module: profiles and user management. Ending a user's sessions is the auth module's
// job and cleaning up their items' cache the items module's: both come in as ports.
import type { FastifyPluginAsync } from 'fastify';
import type { PrismaClient } from '../../db/prisma.js';
import type { Storage } from '../../infra/storage/storage.js';
import type { Logger } from '../../lib/logger.js';
import type { PasswordHasher } from '../auth/password-hasher.js';
import type { ItemChangeListener } from '../items/items.service.js';
import { UsersRepository } from './users.repository.js';
import { usersRoutes } from './users.routes.js';
import { UsersService, type SessionRevoker } from './users.service.js';

export interface UsersModuleDeps {
  prisma: PrismaClient;
  hasher: PasswordHasher;
  sessions: SessionRevoker;
  /** Drops a deleted user's items from the cache on every instance. */
  onItemRemoved: ItemChangeListener;
  /** Deleting a user deletes the bytes of their files. */
  storage: Pick<Storage, 'delete'>;
  log: Logger;
}

export function usersModule({ prisma, hasher, sessions, onItemRemoved, storage, log }: UsersModuleDeps) {
  const service = new UsersService({
    users: new UsersRepository(prisma),
    hasher,
    sessions,
    onItemRemoved,
    storage,
    log,
  });
  const routes: FastifyPluginAsync = async (app) => {
    await app.register(usersRoutes, { users: service });
  };
  return { service, routes };
}
