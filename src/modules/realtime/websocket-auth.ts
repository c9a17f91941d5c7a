// Authentication of live connections. A WebSocket is authenticated on the HTTP upgrade request,
// before any frame: an invalid or missing credential is answered with a plain 401 problem and
// the socket is never opened. Browsers cannot set headers on `new WebSocket()`: they first get a
// single-use ticket (`POST /api/v1/ws-ticket`) and connect with `?ticket=`; `?token=<access
// token>` still works for older clients (the request logger redacts both from URLs).
// Once open, a WebSocket or an SSE stream is guarded by the session watch (session-watch.ts):
// it ends at its credential's expiry and as soon as that credential is revoked.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AccessClaims, Caller } from '../../lib/caller.js';
import { ServiceUnavailableError, UnauthorizedError } from '../../lib/errors.js';
import { bearerToken } from '../../plugins/auth.js';
import type { WatchedConnection } from './session-watch.js';
import type { WsTicketService } from './ws-tickets.js';

/** The credential checks of the auth and API-key modules, run at connect time and again while open. */
export interface CredentialChecks {
  resolveAccessToken(claims: AccessClaims): Promise<Caller>;
  authenticateApiKey(key: string): Promise<{ apiKeyId: number }>;
}

export function tokenFromUpgrade(request: FastifyRequest): string | undefined {
  const fromHeader = bearerToken(request);
  if (fromHeader) return fromHeader;
  const query = request.query as { token?: unknown } | undefined;
  return typeof query?.token === 'string' && query.token !== '' ? query.token : undefined;
}

function ticketFromUpgrade(request: FastifyRequest): string | undefined {
  const query = request.query as { ticket?: unknown } | undefined;
  return typeof query?.ticket === 'string' && query.ticket !== '' ? query.ticket : undefined;
}

const INVALID_TICKET = 'The ticket is invalid, used or expired: get a new one at POST /api/v1/ws-ticket';

export function authenticateUpgrade(app: FastifyInstance, tickets: WsTicketService, checks: CredentialChecks) {
  return async (request: FastifyRequest): Promise<void> => {
    const ticket = bearerToken(request) ? undefined : ticketFromUpgrade(request);
    if (ticket !== undefined) {
      let claims;
      try {
        claims = await tickets.redeem(ticket);
      } catch (err) {
        request.log.warn({ err }, 'ticket store unavailable');
        throw new ServiceUnavailableError('Live connections are unavailable, try again later');
      }
      if (!claims) throw new UnauthorizedError(INVALID_TICKET);
      // The ticket was issued for a verified access token: check the session and the user as
      // they are now (logged out since, deactivated...).
      request.user = await checks.resolveAccessToken(claims as AccessClaims);
      request.accessClaims = claims as AccessClaims;
      return;
    }
    const token = tokenFromUpgrade(request);
    if (!token)
      throw new UnauthorizedError(
        'A credential is required: `?ticket=<ticket>` (see POST /api/v1/ws-ticket) or `Authorization: Bearer <token>`',
      );
    const { user, claims } = await app.verifyAccessToken(token);
    request.user = user;
    request.accessClaims = claims;
  };
}

/** 1008 (policy violation): the credential the socket was opened with expired or was revoked. */
export const CLOSE_POLICY = 1008;

/**
 * How the session watch sees an authenticated request's connection: whose it is, which session,
 * how to check its credential again (the same checks as at connect time), and when it expires
 * (an access token's `exp`; an API key, which never expires, is checked again after
 * `apiKeyLifetimeSeconds` by making the client reconnect).
 */
export function liveCredential(
  request: FastifyRequest,
  apiKeyLifetimeSeconds: number,
  checks: CredentialChecks,
): Omit<WatchedConnection, 'end'> & { expiresAt: number } {
  const userId = request.user.id;
  const claims = request.accessClaims;
  if (claims) {
    return {
      userId,
      sessionId: claims.sid,
      expiresAt: claims.exp * 1000,
      stillValid: async () => claims.exp * 1000 > Date.now() && (await checks.resolveAccessToken(claims)).id === userId,
    };
  }
  const apiKey = request.headers['x-api-key'];
  const apiKeyId = request.apiKeyId;
  return {
    userId,
    expiresAt: Date.now() + apiKeyLifetimeSeconds * 1000,
    stillValid: async () =>
      typeof apiKey === 'string' && (await checks.authenticateApiKey(apiKey)).apiKeyId === apiKeyId,
  };
}
