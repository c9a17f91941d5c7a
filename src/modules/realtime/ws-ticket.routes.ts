// POST /api/v1/ws-ticket: trades the bearer token (sent in a header, where logs do not keep it)
// for a single-use ticket to put in the WebSocket URL (ws-tickets.ts).
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ForbiddenError, ServiceUnavailableError, UnauthorizedError } from '../../lib/errors.js';
import { jsonResponse, problems, responseHeaders } from '../../lib/openapi.js';
import { WsTicket } from './realtime.schemas.js';
import type { WsTicketService } from './ws-tickets.js';

export interface WsTicketRoutesOptions {
  tickets: WsTicketService;
}

export const wsTicketRoutes: FastifyPluginAsyncTypebox<WsTicketRoutesOptions> = async (app, { tickets }) => {
  app.post(
    '/ws-ticket',
    {
      onRequest: [app.authenticate],
      schema: {
        tags: ['realtime'],
        operationId: 'createWsTicket',
        summary: 'Get a single-use WebSocket ticket',
        description:
          'Returns a ticket for `/ws/chat/:room` or `/ws/notifications`: open `wss://host/ws/notifications?ticket=<ticket>` within ' +
          '`expiresIn` seconds (about 30). It works once, on any instance, and stands for your session: the socket closes when the ' +
          'access token expires or the session is revoked. Needs a bearer access token (an API key is refused with 403: ' +
          'WebSockets are tied to a session). Use it instead of `?token=`, which puts a long-lived credential in URLs and logs.',
        security: [{ OAuth2PasswordBearer: [] }],
        response: {
          200: jsonResponse('A ticket for one WebSocket upgrade', WsTicket, responseHeaders.cacheControl),
          ...problems(401, 403, 503),
        },
      },
    },
    async (request, reply) => {
      const claims = request.accessClaims;
      if (!claims)
        throw new ForbiddenError('A WebSocket ticket needs a bearer access token: WebSockets are tied to a session');
      let issued;
      try {
        issued = await tickets.issue(claims);
      } catch (err) {
        if (err instanceof RangeError)
          throw new UnauthorizedError('The access token is about to expire: refresh it first');
        request.log.warn({ err }, 'ticket store unavailable');
        throw new ServiceUnavailableError('WebSocket tickets are unavailable, try again later');
      }
      return reply.header('cache-control', 'no-store').send(issued);
    },
  );
};
