// The jobs module: GET /jobs/:id for a job's owner, the job list for admins.
import type { FastifyPluginAsync } from 'fastify';
import type { JobLookup } from '../../infra/queues/job-queues.js';
import { jobsRoutes } from './jobs.routes.js';
import { JobsService } from './jobs.service.js';

export function jobsModule({ queues }: { queues: JobLookup }) {
  const service = new JobsService(queues);
  const routes: FastifyPluginAsync = async (app) => {
    await app.register(jobsRoutes, { jobs: service });
  };
  return { service, routes };
}
