// The database: the Prisma client (app.prisma) and the pg pool under it (app.pg) for the
// repositories that stream raw SQL. Closed with the app.
import fp from 'fastify-plugin';
import { createDatabase, type PgPool, type PrismaClient } from '../db/prisma.js';

declare module 'fastify' {
  interface FastifyInstance {
    prisma: PrismaClient;
    pg: PgPool;
  }
}

export default fp(
  async (app) => {
    const database = createDatabase({ databaseUrl: app.config.databaseUrl, poolMax: app.config.databasePoolMax });
    app.decorate('prisma', database.prisma);
    app.decorate('pg', database.pool);
    app.addHook('onClose', async () => database.close());
  },
  { name: 'prisma', dependencies: ['config'] },
);
