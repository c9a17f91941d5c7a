// Request identity and timing: every response carries X-Request-Id (the client's when it
// sends a sane one, otherwise a fresh UUID) and X-Response-Time in milliseconds.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import fp from 'fastify-plugin';

const SANE_REQUEST_ID = /^[\w.:@-]{1,128}$/;

/** Passed to Fastify's `genReqId`, so the id is known before any log line is written. */
export function requestIdFrom(req: IncomingMessage): string {
  const header = req.headers['x-request-id'];
  return typeof header === 'string' && SANE_REQUEST_ID.test(header) ? header : randomUUID();
}

export default fp(
  async (app) => {
    app.addHook('onRequest', async (request, reply) => {
      reply.header('x-request-id', request.id);
    });
    app.addHook('onSend', async (_request, reply, payload) => {
      reply.header('x-response-time', `${reply.elapsedTime.toFixed(2)}ms`);
      return payload;
    });
  },
  { name: 'request-context' },
);
