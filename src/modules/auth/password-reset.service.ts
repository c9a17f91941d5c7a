// Password reset by an emailed one-time token. The request never tells whether the email has
// an account: it answers the same way at once and does the work in the background, so neither
// the response nor its timing enumerates users.
import { BadRequestError } from '../../lib/errors.js';
import type { Mailer } from '../../infra/mail/mailer.js';
import type { UsersRepository } from '../users/users.repository.js';
import type { SessionRevoker } from '../users/users.service.js';
import type { PasswordHasher } from './password-hasher.js';
import type { PasswordResetRepository } from './password-reset.repository.js';
import type { Logger } from '../../lib/logger.js';
import { generateToken, hashToken } from './tokens.js';

export const RESET_TOKEN_TTL_SECONDS = 30 * 60;

export interface PasswordResetServiceDeps {
  users: UsersRepository;
  resets: PasswordResetRepository;
  hasher: PasswordHasher;
  sessions: SessionRevoker;
  mailer: Mailer;
  /** Where the emailed link points, e.g. `${PUBLIC_URL}/reset-password`. */
  resetUrl: string;
  log: Logger;
}

export class PasswordResetService {
  /** Background work in flight, so shutdown (and tests) can wait for it; a Set: no queue library needed. */
  private readonly pending = new Set<Promise<void>>();

  constructor(private readonly deps: PasswordResetServiceDeps) {}

  /** Returns at once; the token and the email are made in the background. */
  request(email: string): void {
    const work = this.sendResetEmail(email)
      .catch((err: unknown) => this.deps.log.warn({ err }, 'password reset email failed'))
      .finally(() => this.pending.delete(work));
    this.pending.add(work);
  }

  /** Resolves once every background request has finished. */
  async idle(): Promise<void> {
    await Promise.all([...this.pending]);
  }

  async confirm(token: string, newPassword: string): Promise<void> {
    const passwordHash = await this.deps.hasher.hash(newPassword);
    const userId = await this.deps.resets.consumeAndSetPassword(hashToken(token), passwordHash);
    if (userId === null) throw new BadRequestError('The reset token is invalid, used or expired');
    await this.deps.sessions.revokeAllSessions(userId);
  }

  private async sendResetEmail(email: string): Promise<void> {
    const user = await this.deps.users.findByEmailWithSecret(email);
    if (!user || !user.isActive) return;
    const token = generateToken();
    const expiresAt = new Date(Date.now() + RESET_TOKEN_TTL_SECONDS * 1000);
    const { id } = await this.deps.resets.replaceToken(user.id, hashToken(token), expiresAt);
    const link = `${this.deps.resetUrl}?token=${encodeURIComponent(token)}`;
    await this.deps.mailer.send({
      to: user.email,
      subject: 'Reset your password',
      text: `Someone asked to reset the password of your account.\n\nTo choose a new password, open this link within 30 minutes:\n${link}\n\nIf it was not you, ignore this email: your password stays as it is.`,
      idempotencyKey: `password-reset:${id}`,
    });
  }
}
