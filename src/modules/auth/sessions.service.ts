// Session revocation: PostgreSQL is the authority (revoked refresh families), Redis the fast,
// shared deny-list that kills access tokens at once on every instance. When Redis cannot be
// reached the checks fall back to PostgreSQL, so a revoked session stays revoked (fail closed)
// without taking the API down with Redis.
import { withTimeout } from '../../lib/with-timeout.js';
import type { SessionRevoker } from '../users/users.service.js';
import type { RefreshTokensRepository } from './refresh-tokens.repository.js';
import type { TokenDenyList } from './token-deny-list.js';

/** How long a request waits for the deny-list before asking PostgreSQL instead. */
const DENY_LIST_BUDGET_MS = 250;

export interface WarnLogger {
  warn(obj: object, msg: string): void;
}

export interface AccessTokenIdentity {
  jti: string;
  /** The refresh family the access token was issued for. */
  sid: string;
  /** Expiry, seconds since the epoch. */
  exp: number;
}

export class SessionsService implements SessionRevoker {
  private lastFallbackWarning = 0;

  constructor(
    private readonly deps: {
      refreshTokens: RefreshTokensRepository;
      denyList: TokenDenyList;
      accessTokenTtlSeconds: number;
      log: WarnLogger;
    },
  ) {}

  /** Logout: the refresh family dies in PostgreSQL, the access token and its session in Redis. */
  async revokeSession(token: AccessTokenIdentity): Promise<void> {
    await this.deps.refreshTokens.revokeFamily(token.sid);
    const ttl = token.exp - Math.floor(Date.now() / 1000);
    await this.bestEffort('deny-list write failed; PostgreSQL still refuses the session', async () => {
      await this.deps.denyList.denyToken(token.jti, ttl);
      await this.deps.denyList.denySessions([token.sid], this.deps.accessTokenTtlSeconds);
    });
  }

  /** Reuse of a rotated refresh token: the whole family, and its access tokens, die. */
  async revokeFamily(familyId: string): Promise<void> {
    await this.deps.refreshTokens.revokeFamily(familyId);
    await this.bestEffort('deny-list write failed; PostgreSQL still refuses the session', () =>
      this.deps.denyList.denySessions([familyId], this.deps.accessTokenTtlSeconds),
    );
  }

  /** Password change, password reset, deactivation, deletion: every session of the user ends. */
  async revokeAllSessions(userId: number): Promise<void> {
    const families = await this.deps.refreshTokens.revokeAllForUser(userId);
    await this.bestEffort('deny-list write failed; PostgreSQL still refuses the sessions', () =>
      this.deps.denyList.denySessions(families, this.deps.accessTokenTtlSeconds),
    );
  }

  async isRevoked(token: { jti: string; sid: string }): Promise<boolean> {
    try {
      return await withTimeout(this.deps.denyList.isDenied(token.jti, token.sid), DENY_LIST_BUDGET_MS);
    } catch (err) {
      // One line a minute during an outage, not one per request.
      if (Date.now() - this.lastFallbackWarning > 60_000) {
        this.lastFallbackWarning = Date.now();
        this.deps.log.warn({ err }, 'deny-list unavailable; checking sessions in PostgreSQL');
      }
      return this.deps.refreshTokens.isFamilyRevoked(token.sid);
    }
  }

  private async bestEffort(message: string, write: () => Promise<void>): Promise<void> {
    try {
      await write();
    } catch (err) {
      this.deps.log.warn({ err }, message);
    }
  }
}
