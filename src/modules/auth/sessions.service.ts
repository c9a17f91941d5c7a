// Session revocation: PostgreSQL is the authority (revoked refresh families), Redis the fast,
// shared deny-list that kills access tokens at once on every instance. When Redis cannot be
// reached the checks fall back to PostgreSQL, so a revoked session stays revoked (fail closed)
// without taking the API down with Redis. A Redis that stalls instead of failing costs a request
// at most DENY_LIST_BUDGET_MS, and after one failure the checks go straight to PostgreSQL for a
// cool-down before one request probes Redis again.
import type { Logger } from '../../lib/logger.js';
import { budget, createBreaker, isBrokenCircuitError, type Breaker } from '../../lib/resilience.js';
import type { SessionRevoker } from '../users/users.service.js';
import type { RefreshTokensRepository } from './refresh-tokens.repository.js';
import type { TokenDenyList } from './token-deny-list.js';

/** How long a request waits for the deny-list (read or write) before going on without it. */
const DENY_LIST_BUDGET_MS = 250;
const DENY_LIST_COOLDOWN_MS = 5_000;
const withinBudget = budget(DENY_LIST_BUDGET_MS);

/** What ended: sessions (refresh families), and the user when all their credentials may have changed. */
export interface SessionRevocation {
  sessionIds: string[];
  userId?: number;
}

export interface AccessTokenIdentity {
  jti: string;
  /** The refresh family the access token was issued for. */
  sid: string;
  /** Expiry, seconds since the epoch. */
  exp: number;
}

export class SessionsService implements SessionRevoker {
  private readonly breaker: Breaker;

  constructor(
    private readonly deps: {
      refreshTokens: RefreshTokensRepository;
      denyList: TokenDenyList;
      accessTokenTtlSeconds: number;
      log: Logger;
      /** Told after every revocation (live WebSocket and SSE connections of it end on every instance). */
      onRevoked?: (revocation: SessionRevocation) => Promise<void>;
    },
  ) {
    this.breaker = createBreaker({
      budgetMs: DENY_LIST_BUDGET_MS,
      cooldownMs: DENY_LIST_COOLDOWN_MS,
      // One line per outage, not one per request.
      onOpen: (err) => deps.log.warn({ err }, 'deny-list unavailable; checking sessions in PostgreSQL'),
      onClose: () => deps.log.info('deny-list available again'),
    });
  }

  /** Logout: the refresh family dies in PostgreSQL, the access token and its session in Redis. */
  async revokeSession(token: AccessTokenIdentity): Promise<void> {
    await this.deps.refreshTokens.revokeFamily(token.sid);
    const ttl = token.exp - Math.floor(Date.now() / 1000);
    const written = await this.bestEffort('deny-list write failed; PostgreSQL still refuses the session', async () => {
      await this.deps.denyList.denyToken(token.jti, ttl);
      await this.deps.denyList.denySessions([token.sid], this.deps.accessTokenTtlSeconds);
    });
    if (written) await this.announce({ sessionIds: [token.sid] });
  }

  /** Reuse of a rotated refresh token: the whole family, and its access tokens, die. */
  async revokeFamily(familyId: string): Promise<void> {
    await this.deps.refreshTokens.revokeFamily(familyId);
    const written = await this.bestEffort('deny-list write failed; PostgreSQL still refuses the session', () =>
      this.deps.denyList.denySessions([familyId], this.deps.accessTokenTtlSeconds),
    );
    if (written) await this.announce({ sessionIds: [familyId] });
  }

  /** Password change, password reset, deactivation, deletion: every session of the user ends. */
  async revokeAllSessions(userId: number): Promise<void> {
    // A family may have expired and still have access tokens alive: the last refresh before the
    // family's absolute expiry issues one that outlives it by up to the access-token lifetime.
    const families = await this.deps.refreshTokens.revokeAllForUser(
      userId,
      new Date(Date.now() - this.deps.accessTokenTtlSeconds * 1000),
    );
    // Nothing to write is no news about Redis: the breaker must not take it for a success.
    const written =
      families.length === 0 ||
      (await this.bestEffort('deny-list write failed; PostgreSQL still refuses the sessions', () =>
        this.deps.denyList.denySessions(families, this.deps.accessTokenTtlSeconds),
      ));
    // Even without a session: the user's API-key connections check themselves again (deactivation).
    if (written) await this.announce({ sessionIds: families, userId });
  }

  /**
   * A credential that is not a session (an API key) was revoked: the user's live connections
   * check themselves again on every instance, and the ones opened with it end.
   */
  async credentialRevoked(userId: number): Promise<void> {
    await this.announce({ sessionIds: [], userId });
  }

  /**
   * After the deny-list write, so a connection that checks itself again sees the revocation, and
   * skipped when that write failed (Redis is away: the message would not go either). Bounded,
   * never fails the revocation.
   */
  private async announce(revocation: SessionRevocation): Promise<void> {
    const { onRevoked } = this.deps;
    if (!onRevoked) return;
    try {
      await withinBudget.execute(() => onRevoked(revocation));
    } catch (err) {
      this.deps.log.warn({ err }, 'revocation not announced; live connections end at their token expiry');
    }
  }

  async isRevoked(token: { jti: string; sid: string }): Promise<boolean> {
    try {
      return await this.breaker.execute(() => this.deps.denyList.isDenied(token.jti, token.sid));
    } catch {
      return this.deps.refreshTokens.isFamilyRevoked(token.sid);
    }
  }

  /**
   * Deny-list writes go through the breaker, so a failed one spares the next reads the wait. They
   * are attempted even while it is open (outside it, then: the outcome does not count): revocations
   * are rare, and one that reaches Redis closes the known gap (other instances reading Redis would
   * accept the token). The wait is bounded; the command is not cancelled, so a frozen Redis that
   * thaws still applies it.
   */
  private async bestEffort(message: string, write: () => Promise<void>): Promise<boolean> {
    try {
      await this.breaker.execute(write).catch((err: unknown) => {
        if (isBrokenCircuitError(err)) return withinBudget.execute(write);
        throw err;
      });
      return true;
    } catch (err) {
      // Per revocation, not per request: it tells operators a revocation missed the shared list.
      this.deps.log.warn({ err }, message);
      return false;
    }
  }
}
