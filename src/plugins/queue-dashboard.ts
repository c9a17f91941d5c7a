// The bull-board queue dashboard, mounted as an encapsulated sub-application at /admin/queues:
// its routes, view engine, static files and error handler stay inside this scope, and one
// onRequest guard in front of all of them lets only admins in (HTTP Basic with an admin
// account, for browsers, or an admin bearer token).
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { AdminCredentials } from '../modules/jobs/admin-credentials.js';
import { basicCredentials } from '../modules/jobs/admin-credentials.js';
import type { JobQueues } from '../modules/jobs/job-queues.js';
import { bearerToken } from './auth.js';
import { sendProblem } from './errors.js';

export interface QueueDashboardOptions {
  queues: JobQueues;
  credentials: AdminCredentials;
  /** Where the sub-application is mounted; bull-board builds its links from it. */
  basePath: string;
}

export const queueDashboard: FastifyPluginAsync<QueueDashboardOptions> = async (app, { queues, credentials, basePath }) => {
  const isAdmin = async (request: FastifyRequest): Promise<boolean> => {
    const basic = basicCredentials(request.headers.authorization);
    if (basic) return credentials.verify(basic.email, basic.password);
    const token = bearerToken(request);
    if (!token) return false;
    try {
      const { user } = await app.verifyAccessToken(token);
      return user.role === 'ADMIN';
    } catch {
      return false;
    }
  };

  // Answered here rather than thrown: bull-board installs its own error handler in this scope,
  // which would not produce a problem document.
  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    if (await isAdmin(request)) return;
    reply.header('www-authenticate', 'Basic realm="queues", charset="UTF-8"');
    return sendProblem(request, reply, 401, { detail: 'The queue dashboard is for administrators' });
  });

  const serverAdapter = new FastifyAdapter();
  serverAdapter.setBasePath(basePath);
  createBullBoard({
    queues: Object.values(queues.queues).map((queue) => new BullMQAdapter(queue)),
    // @bull-board/fastify 9.10.1 bundles its own copy of @bull-board/api 9.10.1 (ours is 9.10.2):
    // identical at runtime, but TypeScript sees two unrelated declarations of the adapter type.
    serverAdapter: serverAdapter as unknown as Parameters<typeof createBullBoard>[0]['serverAdapter'],
    options: { uiConfig: { boardTitle: 'Queues' } },
  });
  await app.register(serverAdapter.registerPlugin());
};
