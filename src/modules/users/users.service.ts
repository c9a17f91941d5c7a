// Profile and user-management rules: who may change what, and which changes end sessions.
import type { Logger } from '../../lib/logger.js';
import { ConflictError, NotFoundError, UnauthorizedError } from '../../lib/errors.js';
import type { Pagination, PageResult } from '../../lib/pagination.js';
import type { Storage } from '../../infra/storage/storage.js';
import type { PasswordHasher } from '../auth/password-hasher.js';
import type { ItemChangeListener } from '../items/items.service.js';
import type { UsersRepository } from './users.repository.js';
import type { AdminChanges, ProfileChanges, User, UserFilter } from './users.schemas.js';

/** Ends every session of a user (refresh families, cached auth state). */
export interface SessionRevoker {
  revokeAllSessions(userId: number): Promise<void>;
}

export interface UsersServiceDeps {
  users: UsersRepository;
  hasher: PasswordHasher;
  sessions: SessionRevoker;
  /** A deleted user's data outside the database: the items' cache entries (the items service's change listener)... */
  onItemRemoved: ItemChangeListener;
  /** ...and the bytes of their files. */
  storage: Pick<Storage, 'delete'>;
  log: Logger;
}

export class UsersService {
  constructor(private readonly deps: UsersServiceDeps) {}

  async get(id: number): Promise<User> {
    const user = await this.deps.users.findById(id);
    if (!user) throw new NotFoundError('User not found');
    return user;
  }

  /** Changing the email or the password needs the current password; a new password ends every session. */
  async updateProfile(userId: number, changes: ProfileChanges): Promise<User> {
    const { currentPassword, password, ...rest } = changes;
    if (password !== undefined || rest.email !== undefined) {
      const current = await this.deps.users.findByIdWithSecret(userId);
      if (!current) throw new NotFoundError('User not found');
      if (currentPassword === undefined || !(await this.deps.hasher.verify(currentPassword, current.passwordHash))) {
        throw new UnauthorizedError('The current password is incorrect');
      }
    }
    const passwordHash = password === undefined ? undefined : await this.deps.hasher.hash(password);
    const updated = await this.deps.users.update(userId, { ...rest, ...(passwordHash ? { passwordHash } : {}) });
    if (!updated) throw new NotFoundError('User not found');
    if (passwordHash) await this.deps.sessions.revokeAllSessions(userId);
    return updated;
  }

  list(filter: UserFilter, page: Pagination): Promise<PageResult<User>> {
    return this.deps.users.list(filter, page).then((result) => ({ ...result, totalIsExact: true, ...page }));
  }

  /** Admins manage others; they cannot demote or deactivate themselves (no admin-less lock-out). */
  async adminUpdate(actorId: number, id: number, changes: AdminChanges): Promise<User> {
    if (actorId === id && ((changes.role && changes.role !== 'ADMIN') || changes.isActive === false)) {
      throw new ConflictError('You cannot demote or deactivate your own account');
    }
    const updated = await this.deps.users.update(id, changes);
    if (!updated) throw new NotFoundError('User not found');
    if (changes.isActive === false) await this.deps.sessions.revokeAllSessions(id);
    return updated;
  }

  async adminDelete(actorId: number, id: number): Promise<void> {
    if (actorId === id) throw new ConflictError('You cannot delete your own account');
    const removed = await this.deps.users.deleteWithOwnedData(id);
    if (!removed) throw new NotFoundError('User not found');
    await this.deps.sessions.revokeAllSessions(id);
    // Rows first, then what lives outside the database, as a file delete does: a crash in
    // between leaves cache entries that expire within CACHE_TTL and unreferenced bytes, never a
    // row whose bytes are gone.
    for (const itemId of removed.itemIds) await this.deps.onItemRemoved(itemId);
    for (const key of removed.storageKeys) {
      try {
        await this.deps.storage.delete(key);
      } catch (err) {
        // The user is gone either way; leftover bytes only cost disk space.
        this.deps.log.warn({ err, storageKey: key, userId: id }, 'could not remove stored content of a deleted user');
      }
    }
  }
}
