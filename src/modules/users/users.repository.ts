// Users table access. Repositories are the only layer that speaks Prisma; they return plain
// domain objects and translate database conflicts into domain errors.
import type { PrismaClient } from '../../db/prisma.js';
import { Prisma } from '../../generated/prisma/client.js';
import type { Role as PrismaRole } from '../../generated/prisma/enums.js';
import type { Role } from '../../lib/caller.js';
import { ConflictError } from '../../lib/errors.js';
import type { Pagination } from '../../lib/pagination.js';
import type { User, UserChanges, UserFilter, UserWithSecret } from './users.schemas.js';

// The caller's roles are the database's and the API's: this fails to compile when one side
// gains a role.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const rolesMatch: [Same<Role, PrismaRole>, Same<Role, User['role']>] = [true, true];
void rolesMatch;

/** What deleting a user removed by cascade, for the caller to clean outside the database. */
export interface RemovedUserData {
  itemIds: number[];
  storageKeys: string[];
}

/** The columns of a user that may leave the database layer (never the password hash). */
export const publicUserFields = {
  id: true,
  email: true,
  name: true,
  role: true,
  isActive: true,
  createdAt: true,
  updatedAt: true,
} as const;

export function isUniqueViolation(err: unknown): boolean {
  return err instanceof Prisma.PrismaClientKnownRequestError && err.code === 'P2002';
}

export function isNotFound(err: unknown): boolean {
  return err instanceof Prisma.PrismaClientKnownRequestError && err.code === 'P2025';
}

export class UsersRepository {
  constructor(private readonly db: Pick<PrismaClient, 'user' | '$transaction'>) {}

  findById(id: number): Promise<User | null> {
    return this.db.user.findUnique({ where: { id }, select: publicUserFields });
  }

  findByEmailWithSecret(email: string): Promise<UserWithSecret | null> {
    return this.db.user.findUnique({ where: { email: email.toLowerCase() } });
  }

  findByIdWithSecret(id: number): Promise<UserWithSecret | null> {
    return this.db.user.findUnique({ where: { id } });
  }

  /**
   * Sign-up: inserts the user unless the email is taken, and returns the account either way.
   * Both outcomes run the same two queries and no error path (Prisma turns a unique violation
   * into an error some 30 times slower than the insert: measured 97 ms against 3 ms), so the
   * answer's timing does not tell whether the email had an account.
   */
  async createIfAbsent(data: {
    email: string;
    name: string;
    passwordHash: string;
  }): Promise<{ user: User; created: boolean }> {
    const email = data.email.toLowerCase();
    const { count } = await this.db.user.createMany({ data: [{ ...data, email }], skipDuplicates: true });
    const user = await this.db.user.findUniqueOrThrow({ where: { email }, select: publicUserFields });
    return { user, created: count === 1 };
  }

  /**
   * A new password or email also kills every outstanding password-reset token of the user, in
   * the same transaction: a link mailed before the change (maybe to the old address) must not
   * set the password afterwards.
   */
  async update(id: number, changes: UserChanges): Promise<User | null> {
    try {
      const data = changes.email ? { ...changes, email: changes.email.toLowerCase() } : changes;
      if (changes.passwordHash === undefined && changes.email === undefined) {
        return await this.db.user.update({ where: { id }, data, select: publicUserFields });
      }
      return await this.db.$transaction(async (tx) => {
        const updated = await tx.user.update({ where: { id }, data, select: publicUserFields });
        await tx.passwordResetToken.updateMany({ where: { userId: id, usedAt: null }, data: { usedAt: new Date() } });
        return updated;
      });
    } catch (err) {
      if (isNotFound(err)) return null;
      if (isUniqueViolation(err)) throw new ConflictError('A user with this email already exists');
      throw err;
    }
  }

  /**
   * Deletes a user (the database cascades their items and files) and returns the ids of those
   * items and the storage keys of those files, or null when there is no such user. The user row
   * is locked first (FOR UPDATE conflicts with the key-share lock of a foreign-key check), so an
   * item or file inserted concurrently either committed before the lists are read, or waits
   * and then fails on its foreign key: nothing is removed without being listed.
   */
  deleteWithOwnedData(id: number): Promise<RemovedUserData | null> {
    return this.db.$transaction(async (tx) => {
      const locked = await tx.$queryRaw<Array<{ id: number }>>`SELECT id FROM users WHERE id = ${id} FOR UPDATE`;
      if (locked.length === 0) return null;
      const items = await tx.item.findMany({ where: { ownerId: id }, select: { id: true } });
      const files = await tx.file.findMany({ where: { ownerId: id }, select: { storageKey: true } });
      await tx.user.delete({ where: { id } });
      return { itemIds: items.map((item) => item.id), storageKeys: files.map((file) => file.storageKey) };
    });
  }

  async list(filter: UserFilter, page: Pagination): Promise<{ items: User[]; total: number }> {
    const where = filter.role ? { role: filter.role } : {};
    const [items, total] = await Promise.all([
      this.db.user.findMany({
        where,
        select: publicUserFields,
        orderBy: { id: 'asc' },
        skip: page.skip,
        take: page.limit,
      }),
      this.db.user.count({ where }),
    ]);
    return { items, total };
  }
}
