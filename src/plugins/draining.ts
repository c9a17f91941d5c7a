// Graceful draining. When close begins (SIGTERM), readiness turns 503 so load balancers stop
// sending traffic, and every response still being written tells its client to close the
// connection: otherwise keep-alive sockets that were busy when close began would stay open
// until keepAliveTimeout and hold the shutdown for that long.
import fp from 'fastify-plugin';

declare module 'fastify' {
  interface FastifyInstance {
    /** True once shutdown has begun. */
    draining: boolean;
  }
}

export default fp(
  async (app) => {
    app.decorate('draining', false);
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
