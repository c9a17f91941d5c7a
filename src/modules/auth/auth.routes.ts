// HTTP surface of authentication: sign-up, the OAuth2 token endpoint, refresh rotation, logout
// and password reset. The refresh token travels in the body and, for browsers, in an httpOnly
// SameSite=Strict cookie scoped to this prefix (JavaScript cannot read it, other sites cannot
// send it, and no other path of the API ever receives it).
import cookie from '@fastify/cookie';
import formbody from '@fastify/formbody';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { UnauthorizedError } from '../../lib/errors.js';
import { problems } from '../../lib/openapi.js';
import { UserOut } from '../users/users.schemas.js';
import type { AuthService, IssuedSession } from './auth.service.js';
import {
  AcceptedOut,
  PasswordResetConfirmBody,
  PasswordResetRequestBody,
  RefreshBody,
  RegisterBody,
  TokenBody,
  TokenPairOut,
} from './auth.schemas.js';
import type { PasswordResetService } from './password-reset.service.js';

export interface AuthRoutesOptions {
  auth: AuthService;
  passwordReset: PasswordResetService;
}

export const REFRESH_COOKIE = 'refresh_token';
const tags = ['auth'];
const bearerOnly = [{ OAuth2PasswordBearer: [] }];

/**
 * Logout ends the session of an access token. A request authenticated by an API key has no
 * session: answering 204 would tell the client it logged out while nothing was revoked, so it
 * is refused as a missing bearer token (401, the challenge names Bearer).
 */
async function requireBearerSession(request: FastifyRequest) {
  if (!request.accessClaims) throw new UnauthorizedError('Log out with the bearer access token of the session; an API key is not a session');
}

export const authRoutes: FastifyPluginAsyncTypebox<AuthRoutesOptions> = async (app, { auth, passwordReset }) => {
  // The OAuth2 token endpoint takes application/x-www-form-urlencoded, as the spec and Swagger UI do.
  await app.register(formbody);
  await app.register(cookie);

  const cookieOptions = {
    httpOnly: true,
    sameSite: 'strict' as const,
    secure: app.config.nodeEnv === 'production',
    path: app.prefix || '/',
  };

  const sendSession = (reply: FastifyReply, session: IssuedSession) =>
    reply
      .header('cache-control', 'no-store')
      .setCookie(REFRESH_COOKIE, session.tokens.refresh_token, { ...cookieOptions, expires: session.refreshExpiresAt })
      .send(session.tokens);

  app.post(
    '/register',
    {
      schema: {
        tags,
        summary: 'Create an account',
        body: RegisterBody,
        response: { 201: UserOut, ...problems(409, 422, 429) },
      },
    },
    async (request, reply) => {
      const user = await auth.register(request.body);
      return reply.code(201).header('location', '/api/v1/users/me').send(user);
    },
  );

  app.post(
    '/token',
    {
      preHandler: app.credentialRateLimit('login', (request) => (request.body as { username?: string }).username),
      schema: {
        tags,
        summary: 'Log in (OAuth2 password grant)',
        description:
          'Send `username` (the email) and `password` as a form or as JSON. The refresh token is in the body and in an httpOnly cookie. Limited to LOGIN_RATE_LIMIT_MAX attempts per window per client and username.',
        consumes: ['application/x-www-form-urlencoded', 'application/json'],
        body: TokenBody,
        response: { 200: TokenPairOut, ...problems(401, 422, 429, 503) },
      },
    },
    async (request, reply) => sendSession(reply, await auth.login(request.body.username, request.body.password)),
  );

  app.post(
    '/refresh',
    {
      // Browsers send no body at all (the token is in the cookie): validate that as `{}`.
      preValidation: async (request) => {
        request.body ??= {};
      },
      schema: {
        tags,
        summary: 'Rotate a refresh token',
        description:
          'Takes `refresh_token` from the body or the cookie; answers a new pair and the old refresh token dies. Presenting a token that was already used revokes its whole session.',
        body: RefreshBody,
        response: { 200: TokenPairOut, ...problems(401, 422, 429) },
      },
    },
    async (request, reply) => {
      const token = request.body.refresh_token ?? request.cookies[REFRESH_COOKIE];
      if (!token) throw new UnauthorizedError('A refresh token is required (body or cookie)');
      return sendSession(reply, await auth.refresh(token));
    },
  );

  app.post(
    '/logout',
    {
      onRequest: [app.authenticate, requireBearerSession],
      schema: {
        tags,
        summary: 'Log out',
        description:
          'Revokes the session of the access token at once on every instance: its refresh tokens and the access token itself. ' +
          'Bearer only: an API key is not a session, so a request authenticated by `X-API-Key` alone is refused with 401 ' +
          '(`WWW-Authenticate: Bearer`) and revokes nothing. Delete a key at `DELETE /api/v1/users/me/api-keys/{id}`.',
        security: bearerOnly,
        response: { 204: Type.Null(), ...problems(401, 429) },
      },
    },
    async (request, reply) => {
      await auth.logout(request.accessClaims, request.cookies[REFRESH_COOKIE]);
      return reply.clearCookie(REFRESH_COOKIE, cookieOptions).code(204).send(null);
    },
  );

  app.post(
    '/password-reset/request',
    {
      preHandler: app.credentialRateLimit('password-reset', (request) => (request.body as { email?: string }).email),
      schema: {
        tags,
        summary: 'Ask for a password-reset email',
        description: 'Always 202, whether or not the email has an account. The emailed token is valid 30 minutes, once.',
        body: PasswordResetRequestBody,
        response: { 202: AcceptedOut, ...problems(422, 429, 503) },
      },
    },
    async (request, reply) => {
      passwordReset.request(request.body.email);
      return reply.code(202).send({ detail: 'If this email belongs to an account, a reset link is on its way' });
    },
  );

  app.post(
    '/password-reset/confirm',
    {
      preHandler: app.credentialRateLimit('password-reset-confirm', () => 'any'),
      schema: {
        tags,
        summary: 'Set a new password with a reset token',
        description: 'Consumes the token, sets the password and ends every session of the account.',
        body: PasswordResetConfirmBody,
        response: { 204: Type.Null(), ...problems(400, 422, 429, 503) },
      },
    },
    async (request, reply) => {
      await passwordReset.confirm(request.body.token, request.body.password);
      return reply.code(204).send(null);
    },
  );

  app.addHook('onClose', () => passwordReset.idle());
};
