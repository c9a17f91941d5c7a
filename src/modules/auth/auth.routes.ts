// HTTP surface of authentication: sign-up, the OAuth2 token endpoint, refresh rotation, logout
// and password reset. The refresh token travels in the body and, for browsers, in an httpOnly
// SameSite=Strict cookie scoped to this prefix (JavaScript cannot read it, other sites cannot
// send it, and no other path of the API ever receives it). The endpoints share the cookie and
// token-pair shapes and the credential limits, hence one file of about 220 lines.
import cookie from '@fastify/cookie';
import formbody from '@fastify/formbody';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { UnauthorizedError } from '../../lib/errors.js';
import { emptyResponse, headers, jsonResponse, problems, responseHeaders } from '../../lib/openapi.js';
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
/** A token pair: never cached, and the refresh token also set as a cookie. */
const tokenPair = jsonResponse(
  'The token pair; the refresh token is also set as an httpOnly cookie',
  TokenPairOut,
  headers(responseHeaders.cacheControl, responseHeaders.setCookie),
);

/**
 * Logout ends the session of an access token. A request authenticated by an API key has no
 * session: answering 204 would tell the client it logged out while nothing was revoked, so it
 * is refused as a missing bearer token (401, the challenge names Bearer).
 */
async function requireBearerSession(request: FastifyRequest) {
  if (!request.accessClaims)
    throw new UnauthorizedError('Log out with the bearer access token of the session; an API key is not a session');
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
      // Per client address, successful or not: sign-ups create accounts and send email. With
      // Redis down sign-ups stay open (the global limit and under-pressure still apply).
      preHandler: app.credentialRateLimit.everyRequest(() => ({ scope: 'register' }), { whenUnavailable: 'allow' }),
      schema: {
        tags,
        operationId: 'register',
        summary: 'Create an account',
        description:
          'Always 202 with the same body, whether or not the email already has an account (no account enumeration): ' +
          'a new email gets the account and a welcome email; a taken one gets an email telling its owner, and nothing changes. ' +
          'Log in with `POST /api/v1/auth/token` afterwards. Limited to LOGIN_RATE_LIMIT_MAX sign-ups per window per client.',
        body: RegisterBody,
        response: {
          202: jsonResponse('Accepted; the same answer whether or not the email was taken', AcceptedOut),
          ...problems(422, 429),
        },
      },
    },
    async (request, reply) => {
      await auth.register(request.body);
      return reply.code(202).send({ detail: 'Check your inbox: we sent an email to this address' });
    },
  );

  app.post(
    '/token',
    {
      schema: {
        tags,
        operationId: 'login',
        summary: 'Log in (OAuth2 password grant)',
        description:
          'Send `username` (the email) and `password` as a form or as JSON. The refresh token is in the body and in an httpOnly cookie. Limited to LOGIN_RATE_LIMIT_MAX failed attempts per window per client and username.',
        consumes: ['application/x-www-form-urlencoded', 'application/json'],
        body: TokenBody,
        response: { 200: tokenPair, ...problems(401, 422, 429, 503) },
      },
    },
    async (request, reply) => {
      const { username, password } = request.body;
      // Failed logins use up the budget of this client and username; a successful one does not.
      const session = await app.credentialRateLimit.check(request, { scope: 'login', subject: username }, () =>
        auth.login(username, password),
      );
      return sendSession(reply, session);
    },
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
        operationId: 'refreshToken',
        summary: 'Rotate a refresh token',
        description:
          'Takes `refresh_token` from the body or the cookie; answers a new pair and the old refresh token dies. Presenting a token that was already used revokes its whole session.',
        body: RefreshBody,
        response: { 200: tokenPair, ...problems(401, 422, 429) },
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
        operationId: 'logout',
        summary: 'Log out',
        description:
          'Revokes the session of the access token at once on every instance: its refresh tokens and the access token itself. ' +
          'Bearer only: an API key is not a session, so a request authenticated by `X-API-Key` alone is refused with 401 ' +
          '(`WWW-Authenticate: Bearer`) and revokes nothing. Delete a key at `DELETE /api/v1/users/me/api-keys/{id}`.',
        security: bearerOnly,
        response: {
          204: emptyResponse('Logged out; the refresh-token cookie is cleared', responseHeaders.setCookie),
          ...problems(401, 429),
        },
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
      preHandler: app.credentialRateLimit.everyRequest((request) => ({
        scope: 'password-reset',
        subject: (request.body as { email?: string }).email,
      })),
      schema: {
        tags,
        operationId: 'requestPasswordReset',
        summary: 'Ask for a password-reset email',
        description:
          'Always 202, whether or not the email has an account. The emailed token is valid 30 minutes, once.',
        body: PasswordResetRequestBody,
        response: {
          202: jsonResponse('Accepted; the same answer whether or not the email has an account', AcceptedOut),
          ...problems(422, 429, 503),
        },
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
      schema: {
        tags,
        operationId: 'confirmPasswordReset',
        summary: 'Set a new password with a reset token',
        description:
          'Consumes the token, sets the password, ends every session and revokes every API key of the account (account recovery closes every door). ' +
          'Limited to LOGIN_RATE_LIMIT_MAX failed attempts per window per client.',
        body: PasswordResetConfirmBody,
        response: {
          204: emptyResponse('The password is set; every session and API key of the account is revoked'),
          ...problems(400, 422, 429, 503),
        },
      },
    },
    async (request, reply) => {
      const { token, password } = request.body;
      // Per client address: a guessed token has no identity to key on.
      await app.credentialRateLimit.check(request, { scope: 'password-reset-confirm' }, () =>
        passwordReset.confirm(token, password),
      );
      return reply.code(204).send(null);
    },
  );

  app.addHook('onClose', () => passwordReset.idle());
};
