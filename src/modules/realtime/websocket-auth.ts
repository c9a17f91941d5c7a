// Authentication of a WebSocket happens on the HTTP upgrade request, before any frame: an
// invalid or missing token is answered with a plain 401 problem and the socket is never opened.
// Browsers cannot set headers on `new WebSocket()`, hence the `?token=` alternative (the request
// logger redacts it from URLs).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { WebSocket } from 'ws';
import { UnauthorizedError } from '../../lib/errors.js';
import { bearerToken } from '../../plugins/auth.js';

export function tokenFromUpgrade(request: FastifyRequest): string | undefined {
  const fromHeader = bearerToken(request);
  if (fromHeader) return fromHeader;
  const query = request.query as { token?: unknown } | undefined;
  return typeof query?.token === 'string' && query.token !== '' ? query.token : undefined;
}

export function authenticateUpgrade(app: FastifyInstance) {
  return async (request: FastifyRequest): Promise<void> => {
    const token = tokenFromUpgrade(request);
    if (!token) throw new UnauthorizedError('An access token is required: `Authorization: Bearer <token>` or `?token=<token>`');
    const { user, claims } = await app.verifyAccessToken(token);
    request.user = user;
    request.accessClaims = claims;
  };
}

/** 1008 (policy violation): the token the socket was opened with has expired. */
export const CLOSE_TOKEN_EXPIRED = 1008;
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * A socket outlives the request that authenticated it; closing it when its access token expires
 * bounds how long a logged-out, deactivated or demoted user keeps receiving (ACCESS_TOKEN_TTL).
 * The client reconnects with a fresh token, which runs every check again.
 */
export function closeWhenTokenExpires(socket: WebSocket, claims: { exp: number } | undefined): void {
  if (!claims) return;
  const timer = setTimeout(() => socket.close(CLOSE_TOKEN_EXPIRED, 'access token expired'), Math.min(MAX_TIMER_MS, Math.max(0, claims.exp * 1000 - Date.now())));
  timer.unref();
  socket.once('close', () => clearTimeout(timer));
}
