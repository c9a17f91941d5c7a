// Sign-up, sign-in, refresh rotation and logout. Knows nothing of HTTP or Prisma: it gets
// repositories, a password hasher, a token signer and the session service from the
// composition root.
import { randomUUID } from 'node:crypto';
import type { Caller, Role } from '../../lib/caller.js';
import { UnauthorizedError } from '../../lib/errors.js';
import type { UsersRepository } from '../users/users.repository.js';
import type { User } from '../users/users.schemas.js';
import type { PasswordHasher } from './password-hasher.js';
import type { RefreshTokensRepository } from './refresh-tokens.repository.js';
import type { AccessTokenIdentity, SessionsService } from './sessions.service.js';
import { generateToken, hashToken } from './tokens.js';

export interface AccessTokenSigner {
  /** `sid` is the refresh family: revoking it revokes every access token issued for it. */
  sign(claims: { sub: string; role: Role; sid: string }): { token: string; expiresIn: number };
}

export interface TokenPair {
  access_token: string;
  token_type: 'bearer';
  expires_in: number;
  refresh_token: string;
}

/** A token pair plus when its refresh token dies (for the cookie's lifetime). */
export interface IssuedSession {
  tokens: TokenPair;
  refreshExpiresAt: Date;
}

export interface AuthServiceDeps {
  users: UsersRepository;
  refreshTokens: RefreshTokensRepository;
  hasher: PasswordHasher;
  signer: AccessTokenSigner;
  sessions: SessionsService;
  refreshTokenTtlSeconds: number;
  /** Called after a successful sign-up (the welcome email); failures never undo the sign-up. */
  onRegistered?: (user: User) => Promise<void>;
  /** Called when someone signs up with a taken email (the "you already have an account" email to its owner). */
  onExistingAccount?: (user: User) => Promise<void>;
}

const INVALID_ACCESS = 'The access token is invalid or expired';
const INVALID_REFRESH = 'The refresh token is invalid or expired';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export class AuthService {
  constructor(private readonly deps: AuthServiceDeps) {}

  /**
   * Sign-up never tells whether the email is taken (no account enumeration): a new email gets an
   * account and a welcome email, a taken one an email to its owner, and the caller answers both
   * the same way. Both paths hash the password, run the same queries and queue one email, so
   * they also take about the same time.
   */
  async register(input: { email: string; password: string; name: string }): Promise<void> {
    const passwordHash = await this.deps.hasher.hash(input.password);
    const { user, created } = await this.deps.users.createIfAbsent({
      email: input.email,
      name: input.name,
      passwordHash,
    });
    if (created) await this.deps.onRegistered?.(user);
    else await this.deps.onExistingAccount?.(user);
  }

  /** Unknown email and wrong password fail identically, and take the same time. */
  async login(email: string, password: string): Promise<IssuedSession> {
    const user = await this.deps.users.findByEmailWithSecret(email);
    const valid = user
      ? await this.deps.hasher.verify(password, user.passwordHash)
      : await this.deps.hasher.verifyDummy(password);
    if (!user || !valid || !user.isActive) throw new UnauthorizedError('Incorrect email or password');
    // The family's absolute lifetime starts at login; rotations never extend it.
    const expiresAt = new Date(Date.now() + this.deps.refreshTokenTtlSeconds * 1000);
    return this.issue(user.id, user.role, randomUUID(), expiresAt);
  }

  /**
   * Rotates a refresh token: the presented one dies, a new pair is issued in the same family
   * with the same absolute expiry. Presenting a token that was already rotated (or revoked)
   * is treated as theft: the whole family is revoked, whoever holds its newer tokens.
   */
  async refresh(refreshToken: string): Promise<IssuedSession> {
    const current = await this.deps.refreshTokens.findByHash(hashToken(refreshToken));
    if (!current || current.expiresAt.getTime() <= Date.now()) throw new UnauthorizedError(INVALID_REFRESH);
    const user = await this.deps.users.findById(current.userId);
    if (!user || !user.isActive) throw new UnauthorizedError(INVALID_REFRESH);

    const next = generateToken();
    const rotated = await this.deps.refreshTokens.rotate(current.id, {
      userId: user.id,
      familyId: current.familyId,
      tokenHash: hashToken(next),
      expiresAt: current.expiresAt,
    });
    if (!rotated) {
      // Already used or revoked (a replay, or the loser of two concurrent refreshes), or the
      // family is dead: end the family so a stolen copy is worthless too.
      await this.deps.sessions.revokeFamily(current.familyId);
      throw new UnauthorizedError('The refresh token was already used; the session has been revoked');
    }
    const access = this.deps.signer.sign({ sub: String(user.id), role: user.role, sid: current.familyId });
    return {
      tokens: { access_token: access.token, token_type: 'bearer', expires_in: access.expiresIn, refresh_token: next },
      refreshExpiresAt: rotated.expiresAt,
    };
  }

  /** Ends the session of the access token (its refresh family and the token itself). */
  async logout(token: AccessTokenIdentity | undefined, refreshToken?: string): Promise<void> {
    if (token) await this.deps.sessions.revokeSession(token);
    if (refreshToken) {
      const record = await this.deps.refreshTokens.findByHash(hashToken(refreshToken));
      if (record) await this.deps.sessions.revokeFamily(record.familyId);
    }
  }

  /**
   * Maps verified access-token claims to the user's current state. Anything that is not an
   * access token, a revoked token or session, and a token of a deleted or deactivated user
   * are refused; role changes apply at once because the role comes from the database.
   */
  async resolveAccessToken(claims: {
    sub?: unknown;
    typ?: unknown;
    jti?: unknown;
    sid?: unknown;
    exp?: unknown;
  }): Promise<Caller> {
    const { sub, typ, jti, sid, exp } = claims;
    const wellFormed =
      typ === 'access' &&
      typeof sub === 'string' &&
      /^\d{1,10}$/.test(sub) &&
      typeof jti === 'string' &&
      typeof sid === 'string' &&
      UUID.test(sid) &&
      // Our tokens always expire; one without `exp` was not issued by this service.
      typeof exp === 'number';
    if (!wellFormed) {
      throw new UnauthorizedError(INVALID_ACCESS);
    }
    const [revoked, user] = await Promise.all([
      this.deps.sessions.isRevoked({ jti, sid }),
      this.deps.users.findById(Number(sub)),
    ]);
    if (revoked || !user || !user.isActive) throw new UnauthorizedError(INVALID_ACCESS);
    return { id: user.id, email: user.email, name: user.name, role: user.role };
  }

  private async issue(userId: number, role: Role, familyId: string, expiresAt: Date): Promise<IssuedSession> {
    const access = this.deps.signer.sign({ sub: String(userId), role, sid: familyId });
    const refreshToken = generateToken();
    await this.deps.refreshTokens.create({ userId, familyId, tokenHash: hashToken(refreshToken), expiresAt });
    return {
      tokens: {
        access_token: access.token,
        token_type: 'bearer',
        expires_in: access.expiresIn,
        refresh_token: refreshToken,
      },
      refreshExpiresAt: expiresAt,
    };
  }
}
