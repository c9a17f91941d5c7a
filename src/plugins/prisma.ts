import fp from 'fastify-plugin';
import { createPrismaClient, type PrismaClient } from '../db/prisma.js';

declare module 'fastify' {
  interface FastifyInstance {
    prisma: PrismaClient;
  }
}

export interface PrismaPluginOptions {
  /** A client built elsewhere (tests, scripts); it is then not disconnected here. */
  client?: PrismaClient;
}

export default fp<PrismaPluginOptions>(
  async (app, opts) => {
    const prisma =
      opts.client ?? createPrismaClient({ databaseUrl: app.config.databaseUrl, poolMax: app.config.databasePoolMax });
    app.decorate('prisma', prisma);
    if (!opts.client) app.addHook('onClose', async () => prisma.$disconnect());
  },
  { name: 'prisma', dependencies: ['config'] },
);
