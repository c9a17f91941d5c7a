// The auth module: sign-up, sign-in, sessions (refresh families and the Redis deny-list) and
// password reset, built from what the composition root gives it. It owns the shape of its
// access tokens (the claims below); the other modules see only its services.
import { randomUUID } from 'node:crypto';
import type { JWT } from '@fastify/jwt';
import type { FastifyPluginAsync } from 'fastify';
import type { Redis } from 'ioredis';
import type { Config } from '../../config.js';
import type { PrismaClient } from '../../db/prisma.js';
import type { Mailer } from '../../infra/mail/mailer.js';
import { publishRevocation } from '../../infra/realtime/revocations.js';
import type { AccessClaims } from '../../lib/caller.js';
import type { Logger } from '../../lib/logger.js';
import { accountExistsEmail } from '../email/account-exists-email.js';
import { welcomeEmail } from '../email/email-jobs.js';
import { UsersRepository } from '../users/users.repository.js';
import { authRoutes } from './auth.routes.js';
import { AuthService, type AccessTokenSigner } from './auth.service.js';
import { PasswordHasher } from './password-hasher.js';
import { PasswordResetRepository } from './password-reset.repository.js';
import { PasswordResetService } from './password-reset.service.js';
import { RefreshTokensRepository } from './refresh-tokens.repository.js';
import { SessionsService } from './sessions.service.js';
import { TokenDenyList } from './token-deny-list.js';

export interface AuthModuleDeps {
  config: Pick<Config, 'accessTokenTtl' | 'refreshTokenTtl' | 'bcryptCost' | 'publicUrl' | 'redisPrefix'>;
  prisma: PrismaClient;
  redis: Redis;
  /** @fastify/jwt's signer, registered with the one-algorithm allowlist (plugins/auth.ts). */
  jwt: Pick<JWT, 'sign'>;
  mailer: Mailer;
  log: Logger;
  /** Tests give a cheaper or instrumented hasher. */
  hasher?: PasswordHasher;
}

/** Access tokens: short-lived, typed, unique (`jti`, for the deny-list), tied to their session (`sid`). */
function accessTokenSigner(jwt: AuthModuleDeps['jwt'], ttlSeconds: number): AccessTokenSigner {
  return {
    sign: (claims) => ({ token: jwt.sign({ ...claims, typ: 'access', jti: randomUUID() }), expiresIn: ttlSeconds }),
  };
}

export function authModule({
  config,
  prisma,
  redis,
  jwt,
  mailer,
  log,
  hasher = new PasswordHasher(config.bcryptCost),
}: AuthModuleDeps) {
  const users = new UsersRepository(prisma);
  const refreshTokens = new RefreshTokensRepository(prisma);
  const sessions = new SessionsService({
    refreshTokens,
    denyList: new TokenDenyList(redis),
    accessTokenTtlSeconds: config.accessTokenTtl,
    log,
    // Live WebSocket and SSE connections of revoked sessions end on every instance.
    onRevoked: (revocation) => publishRevocation(redis, config.redisPrefix, revocation),
  });
  // Emails are queued; when the queue is down the sign-up still succeeds.
  const queueEmail = (what: string, send: () => Promise<void>, userId: number) =>
    send().catch((err: unknown) => log.warn({ err, userId }, `${what} email not queued`));
  const service = new AuthService({
    users,
    refreshTokens,
    hasher,
    sessions,
    refreshTokenTtlSeconds: config.refreshTokenTtl,
    signer: accessTokenSigner(jwt, config.accessTokenTtl),
    onRegistered: (user) =>
      queueEmail('welcome', () => mailer.send(welcomeEmail(user, config.publicUrl), user.id), user.id),
    // A sign-up with a taken email tells the owner by email, never the requester.
    onExistingAccount: (user) =>
      queueEmail('account-exists', () => mailer.send(accountExistsEmail(user, config.publicUrl), user.id), user.id),
  });
  const passwordReset = new PasswordResetService({
    users,
    resets: new PasswordResetRepository(prisma),
    hasher,
    sessions,
    mailer,
    resetUrl: new URL('/reset-password', config.publicUrl).toString(),
    log,
  });
  const routes: FastifyPluginAsync = async (app) => {
    await app.register(authRoutes, { auth: service, passwordReset });
  };
  // What the auth guards and live connections check verified access-token claims with.
  const resolveAccessToken = (claims: AccessClaims) => service.resolveAccessToken(claims);
  return { service, sessions, passwordReset, hasher, resolveAccessToken, routes };
}

export type AuthModule = ReturnType<typeof authModule>;
