// One-time password-reset tokens (stored as SHA-256 hashes) and the password change they allow.
import type { PrismaClient } from '../../db/prisma.js';

export class PasswordResetRepository {
  constructor(private readonly db: PrismaClient) {}

  /** Stores a new token; earlier unused tokens of the user die, so only the latest email works. */
  async replaceToken(userId: number, tokenHash: string, expiresAt: Date): Promise<{ id: string }> {
    return this.db.$transaction(async (tx) => {
      await tx.passwordResetToken.updateMany({ where: { userId, usedAt: null }, data: { usedAt: new Date() } });
      return tx.passwordResetToken.create({ data: { userId, tokenHash, expiresAt }, select: { id: true } });
    });
  }

  /**
   * Consumes the token, sets the password and revokes every API key of the user in one
   * transaction: all of it happens or none. Account recovery assumes someone else may hold the
   * account, and a key they minted would outlive the new password. The conditional UPDATE makes
   * the token single-use even under concurrent confirms. Returns the user id, or null when the
   * token is unknown, used, expired or its user inactive.
   */
  async consumeAndSetPassword(tokenHash: string, passwordHash: string): Promise<number | null> {
    return this.db.$transaction(async (tx) => {
      const now = new Date();
      const token = await tx.passwordResetToken.findUnique({
        where: { tokenHash },
        select: { id: true, userId: true },
      });
      if (!token) return null;
      const { count } = await tx.passwordResetToken.updateMany({
        where: { id: token.id, usedAt: null, expiresAt: { gt: now }, user: { isActive: true } },
        data: { usedAt: now },
      });
      if (count !== 1) return null;
      await tx.user.update({ where: { id: token.userId }, data: { passwordHash } });
      await tx.apiKey.updateMany({ where: { userId: token.userId, revokedAt: null }, data: { revokedAt: now } });
      return token.userId;
    });
  }
}
