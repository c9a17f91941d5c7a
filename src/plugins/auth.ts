// Authentication guards. `app.authenticate` accepts `Authorization: Bearer <access JWT>` or
// `X-API-Key: <personal key>` and loads the user's *current* state, so a deactivation or a
// role change applies on the very next request; a logged-out or revoked token is refused on
// every instance (Redis deny-list, PostgreSQL when Redis is down). `app.requireRole` runs after it.
import fastifyJwt from '@fastify/jwt';
import type { FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { AccessClaims, Caller, Role } from '../lib/caller.js';
import { ForbiddenError, UnauthorizedError } from '../lib/errors.js';

/** What the guards need from the auth and API-key modules (given by the composition root). */
export interface AuthPluginOptions {
  /** The current state of the user behind verified claims; 401 for a revoked session or inactive user. */
  resolveAccessToken(claims: AccessClaims): Promise<Caller>;
  apiKeys: {
    /** The owner of an active key; 401 otherwise. */
    authenticate(key: string): Promise<Caller & { apiKeyId: number }>;
    /** The clear part of a key: failed lookups are limited per client and prefix. */
    prefixOf(key: string): string;
  };
}

declare module '@fastify/jwt' {
  interface FastifyJWT {
    payload: Omit<AccessClaims, 'iat' | 'exp'>;
    user: Caller;
  }
}

declare module 'fastify' {
  interface FastifyInstance {
    authenticate: (request: FastifyRequest, reply: FastifyReply) => Promise<void>;
    /** Verifies an access token and returns its user's current state; 401 otherwise. For WebSocket and SSE too. */
    verifyAccessToken: (token: string) => Promise<{ user: Caller; claims: AccessClaims }>;
    requireRole: (role: Role) => (request: FastifyRequest, reply: FastifyReply) => Promise<void>;
  }
  interface FastifyRequest {
    /** Claims of the verified access token, when the request used one. */
    accessClaims?: AccessClaims;
    /** Id of the API key that authenticated the request, when it used one. */
    apiKeyId?: number;
  }
}

export const JWT_ALGORITHM = 'HS256';

export function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (!header) return undefined;
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  return match?.[1];
}

/** Registers @fastify/jwt with a one-algorithm allowlist; everything else is refused at verify. */
export const jwtPlugin = fp(
  async (app) => {
    await app.register(fastifyJwt, {
      secret: app.config.jwtSecret,
      sign: { algorithm: JWT_ALGORITHM, expiresIn: app.config.accessTokenTtl },
      verify: { algorithms: [JWT_ALGORITHM] },
    });
  },
  { name: 'jwt', dependencies: ['config'] },
);

export default fp<AuthPluginOptions>(
  async (app, { resolveAccessToken, apiKeys }) => {
    app.decorate('verifyAccessToken', async (token: string) => {
      let claims: AccessClaims;
      try {
        claims = app.jwt.verify<AccessClaims>(token);
      } catch {
        throw new UnauthorizedError('The access token is invalid or expired');
      }
      return { user: await resolveAccessToken(claims), claims };
    });

    app.decorate('authenticate', async (request: FastifyRequest) => {
      const token = bearerToken(request);
      const apiKey = request.headers['x-api-key'];
      if (!token && !request.headers.authorization && typeof apiKey === 'string') {
        // Failed lookups are limited per client and key prefix; a good key is never counted (one
        // Redis read), and stays usable while Redis is down: 256 random bits are not guessable.
        const { apiKeyId, ...user } = await app.credentialRateLimit.check(
          request,
          { scope: 'api-key', subject: apiKeys.prefixOf(apiKey) },
          () => apiKeys.authenticate(apiKey),
          { counting: 'failures', whenUnavailable: 'allow' },
        );
        request.user = user;
        request.apiKeyId = apiKeyId;
        return;
      }
      if (!token) throw new UnauthorizedError();
      const { user, claims } = await app.verifyAccessToken(token);
      request.user = user;
      request.accessClaims = claims;
    });

    app.decorate('requireRole', (role: Role) => async (request: FastifyRequest) => {
      if (!request.user) throw new UnauthorizedError();
      if (request.user.role !== role) throw new ForbiddenError(`This needs the ${role} role`);
    });
  },
  { name: 'auth', dependencies: ['jwt', 'rate-limit'] },
);
