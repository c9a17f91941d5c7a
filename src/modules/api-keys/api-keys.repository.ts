// Personal API keys. Only the SHA-256 of a key is stored; the clear prefix lets a user tell
// keys apart in a list.
import type { PrismaClient } from '../../db/prisma.js';
import type { Pagination } from '../../lib/pagination.js';
import { publicUserFields } from '../users/users.repository.js';
import type { User } from '../users/users.schemas.js';
import type { ApiKey } from './api-keys.schemas.js';

const publicFields = { id: true, name: true, prefix: true, lastUsedAt: true, createdAt: true } as const;

export class ApiKeysRepository {
  constructor(private readonly db: Pick<PrismaClient, 'apiKey'>) {}

  create(data: { userId: number; name: string; prefix: string; keyHash: string }): Promise<ApiKey> {
    return this.db.apiKey.create({ data, select: publicFields });
  }

  async listActive(userId: number, page: Pagination): Promise<{ items: ApiKey[]; total: number }> {
    const where = { userId, revokedAt: null };
    const [items, total] = await Promise.all([
      this.db.apiKey.findMany({
        where,
        select: publicFields,
        orderBy: { id: 'asc' },
        skip: page.skip,
        take: page.limit,
      }),
      this.db.apiKey.count({ where }),
    ]);
    return { items, total };
  }

  /** Scoped to the owner, so someone else's key and a missing one look the same. */
  findActive(userId: number, id: number): Promise<ApiKey | null> {
    return this.db.apiKey.findFirst({ where: { id, userId, revokedAt: null }, select: publicFields });
  }

  countActive(userId: number): Promise<number> {
    return this.db.apiKey.count({ where: { userId, revokedAt: null } });
  }

  async revoke(userId: number, id: number): Promise<boolean> {
    const { count } = await this.db.apiKey.updateMany({
      where: { id, userId, revokedAt: null },
      data: { revokedAt: new Date() },
    });
    return count === 1;
  }

  /** The live key with this hash and its owner's current state, in one query. */
  async findActiveByHash(keyHash: string): Promise<{ id: number; lastUsedAt: Date | null; user: User } | null> {
    return this.db.apiKey.findFirst({
      where: { keyHash, revokedAt: null },
      select: { id: true, lastUsedAt: true, user: { select: publicUserFields } },
    });
  }

  /** Records a use; writes at most once per `granularityMs` so busy keys do not write per request. */
  async touch(id: number, now: Date, granularityMs: number): Promise<void> {
    await this.db.apiKey.updateMany({
      where: { id, OR: [{ lastUsedAt: null }, { lastUsedAt: { lt: new Date(now.getTime() - granularityMs) } }] },
      data: { lastUsedAt: now },
    });
  }
}
