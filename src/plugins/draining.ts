// Graceful draining, in two steps (src/server.ts drives them on SIGTERM/SIGINT):
//
// 1. startDraining(): readiness turns 503 so load balancers stop sending traffic, and requests
//    that arrive from now on are refused with 503 + Retry-After without being acted on. A proxy
//    may resend such a request to another instance even when it is a POST (nginx/ does): a 503
//    from this api means "nothing was done". Requests already in flight finish normally.
// 2. app.close(): the listener closes. Every response still being written tells its client to
//    close the connection: otherwise keep-alive sockets that were busy when close began would
//    stay open until keepAliveTimeout and hold the shutdown for that long.
//
// Why step 1 before closing: a proxy that keeps connecting until the listener is gone can have
// connections in the kernel's accept queue at that instant; they are reset, and a reset POST
// cannot be retried safely. Answering 503 for a moment first makes the proxy mark the instance
// as failed and move its traffic while the listener still accepts.
import fp from 'fastify-plugin';
import { ServiceUnavailableError } from '../lib/errors.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** True once shutdown has begun. */
    draining: boolean;
    /** Refuses new requests with 503 from now on; close() comes later. */
    startDraining(): void;
  }
}

/** Probes answer for themselves while draining (readiness says 503, liveness stays 200). */
const ALWAYS_SERVED = /^\/(health|metrics)(\/|$|\?)/;

export default fp(
  async (app) => {
    app.decorate('draining', false);
    app.decorate('startDraining', () => {
      app.draining = true;
    });
    app.addHook('onRequest', async (request, reply) => {
      if (!app.draining || ALWAYS_SERVED.test(request.url)) return;
      reply.header('connection', 'close');
      throw new ServiceUnavailableError('This instance is shutting down, retry the request', 1);
    });
    app.addHook('preClose', async () => {
      app.draining = true;
    });
    app.addHook('onSend', async (_request, reply, payload) => {
      if (app.draining) reply.header('connection', 'close');
      return payload;
    });
  },
  { name: 'draining' },
);
