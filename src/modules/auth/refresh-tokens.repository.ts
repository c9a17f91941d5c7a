// Refresh-token rows. A family (one login) is dead as soon as ANY of its rows is revoked: that
// rule, checked inside the rotating UPDATE, closes the race where a rotation inserts a new row
// while a concurrent reuse detection is revoking the family.
import type { PrismaClient } from '../../db/prisma.js';
import type { Role } from '../../lib/caller.js';

export interface RefreshTokenRecord {
  id: string;
  userId: number;
  familyId: string;
  tokenHash: string;
  expiresAt: Date;
  usedAt: Date | null;
  revokedAt: Date | null;
  createdAt: Date;
}

export interface NewRefreshToken {
  userId: number;
  familyId: string;
  tokenHash: string;
  expiresAt: Date;
}

export class RefreshTokensRepository {
  constructor(private readonly db: PrismaClient) {}

  create(data: NewRefreshToken): Promise<RefreshTokenRecord> {
    return this.db.refreshToken.create({ data });
  }

  findByHash(tokenHash: string): Promise<RefreshTokenRecord | null> {
    return this.db.refreshToken.findUnique({ where: { tokenHash } });
  }

  /**
   * Marks `currentId` used and inserts its successor, atomically. The conditional UPDATE is the
   * arbiter of concurrent refreshes: PostgreSQL row locking lets exactly one of them see
   * `used_at IS NULL`. Returns null (and writes nothing) when the token was already used,
   * revoked, expired, or its family was revoked.
   */
  async rotate(currentId: string, next: NewRefreshToken): Promise<RefreshTokenRecord | null> {
    return this.db.$transaction(async (tx) => {
      const claimed = await tx.$executeRaw`
        UPDATE refresh_tokens SET used_at = now()
        WHERE id = ${currentId}::uuid
          AND used_at IS NULL AND revoked_at IS NULL AND expires_at > now()
          AND NOT EXISTS (
            SELECT 1 FROM refresh_tokens sibling
            WHERE sibling.family_id = refresh_tokens.family_id AND sibling.revoked_at IS NOT NULL
          )`;
      if (claimed !== 1) return null;
      return tx.refreshToken.create({ data: next });
    });
  }

  async revokeFamily(familyId: string): Promise<void> {
    await this.db.refreshToken.updateMany({ where: { familyId, revokedAt: null }, data: { revokedAt: new Date() } });
  }

  /**
   * Revokes every family of the user; returns the ids of those not revoked before whose tokens
   * expire after `liveSince`. Required, because "now" would be wrong: an access token issued by
   * the last refresh before the family's expiry outlives it by up to the access-token lifetime.
   */
  async revokeAllForUser(userId: number, liveSince: Date): Promise<string[]> {
    return this.db.$transaction(async (tx) => {
      const live = await tx.refreshToken.findMany({
        where: { userId, revokedAt: null, expiresAt: { gt: liveSince } },
        select: { familyId: true },
        distinct: ['familyId'],
      });
      await tx.refreshToken.updateMany({ where: { userId, revokedAt: null }, data: { revokedAt: new Date() } });
      return live.map((row) => row.familyId);
    });
  }

  /**
   * A session without a usable refresh token (the queue dashboard's cookie): one row, already
   * used, whose token nobody ever saw. It exists so that every "end all sessions" event
   * (password change or reset, deactivation, deletion) ends it too.
   */
  async createBareSession(data: NewRefreshToken): Promise<void> {
    await this.db.refreshToken.create({ data: { ...data, usedAt: new Date() } });
  }

  /** The owner of a live (unrevoked, unexpired) session, in their current state; null otherwise. */
  async findLiveSessionOwner(
    familyId: string,
    now: Date,
  ): Promise<{ id: number; role: Role; isActive: boolean } | null> {
    const row = await this.db.refreshToken.findFirst({
      where: { familyId, revokedAt: null, expiresAt: { gt: now } },
      select: { user: { select: { id: true, role: true, isActive: true } } },
    });
    return row?.user ?? null;
  }

  async isFamilyRevoked(familyId: string): Promise<boolean> {
    const revoked = await this.db.refreshToken.findFirst({
      where: { familyId, revokedAt: { not: null } },
      select: { id: true },
    });
    return revoked !== null;
  }
}
