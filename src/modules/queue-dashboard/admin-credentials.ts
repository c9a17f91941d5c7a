// Admin logins of the queue dashboard. HTTP Basic credentials are checked against the users
// table (an active ADMIN whose password matches) ONCE; the browser then holds a short session
// (see the dashboard plugin's cookie), so bcrypt does not run on each of the dashboard's polls.
// The session is a row among the user's sessions: password change or reset, deactivation and
// deletion end it like any other, and each request re-reads the owner's role and state.
// An unknown email costs the same hashing time as a wrong password, so the answer's timing
// does not reveal which emails exist.
import { randomUUID } from 'node:crypto';
import type { PasswordHasher } from '../auth/password-hasher.js';
import type { RefreshTokensRepository } from '../auth/refresh-tokens.repository.js';
import { generateToken, hashToken } from '../auth/tokens.js';
import type { UsersRepository } from '../users/users.repository.js';

/** How long a dashboard session lasts; fixed from its Basic login, never extended. */
export const DASHBOARD_SESSION_TTL_SECONDS = 10 * 60;

export interface DashboardSession {
  id: string;
  expiresAt: Date;
}

export interface AdminCredentialsDeps {
  users: Pick<UsersRepository, 'findByEmailWithSecret'>;
  hasher: Pick<PasswordHasher, 'verify' | 'verifyDummy'>;
  sessions: Pick<RefreshTokensRepository, 'createBareSession' | 'findLiveSessionOwner'>;
}

export class AdminCredentials {
  constructor(private readonly deps: AdminCredentialsDeps) {}

  /** The admin these credentials belong to, or null (wrong password, unknown, inactive, not an admin). */
  async verify(email: string, password: string): Promise<{ id: number } | null> {
    const user = await this.deps.users.findByEmailWithSecret(email);
    if (!user) return this.deps.hasher.verifyDummy(password).then(() => null);
    const valid = await this.deps.hasher.verify(password, user.passwordHash);
    return valid && user.isActive && user.role === 'ADMIN' ? { id: user.id } : null;
  }

  async openSession(userId: number, now = new Date()): Promise<DashboardSession> {
    const session = { id: randomUUID(), expiresAt: new Date(now.getTime() + DASHBOARD_SESSION_TTL_SECONDS * 1000) };
    // The token itself is thrown away: this session can never be refreshed, only expire or be revoked.
    await this.deps.sessions.createBareSession({
      userId,
      familyId: session.id,
      tokenHash: hashToken(generateToken()),
      expiresAt: session.expiresAt,
    });
    return session;
  }

  /** Whether the session is live and its owner is, right now, an active admin. */
  async isAdminSession(sessionId: string, now = new Date()): Promise<boolean> {
    if (!UUID.test(sessionId)) return false;
    const owner = await this.deps.sessions.findLiveSessionOwner(sessionId, now);
    return owner !== null && owner.isActive && owner.role === 'ADMIN';
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Parses `Authorization: Basic base64(email:password)`; undefined when absent or malformed. */
export function basicCredentials(header: string | undefined): { email: string; password: string } | undefined {
  const match = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(header ?? '');
  if (!match) return undefined;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0) return undefined;
  return { email: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}
