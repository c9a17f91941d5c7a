// HTTP surface of background jobs: a job's state for its owner (or an admin), and recent jobs
// of a queue for admins.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { authenticated, jsonResponse, problems } from '../../lib/openapi.js';
import type { JobsService } from './jobs.service.js';
import { JobOut, JobPage, JobParams, ListJobsQuery } from './jobs.schemas.js';

export interface JobsRoutesOptions {
  jobs: JobsService;
}

const tags = ['jobs'];

export const jobsRoutes: FastifyPluginAsyncTypebox<JobsRoutesOptions> = async (app, { jobs }) => {
  app.get(
    '/:id',
    {
      onRequest: [app.authenticate],
      schema: {
        tags,
        operationId: 'getJob',
        summary: 'Read a background job',
        description: "The job's owner or an admin; anyone else gets 404.",
        security: authenticated,
        params: JobParams,
        response: {
          200: jsonResponse('The job: state, progress and, once finished, result or failure', JobOut),
          ...problems(401, 404, 422, 503),
        },
      },
    },
    async (request) => jobs.get(request.user, request.params.id),
  );

  app.get(
    '/',
    {
      onRequest: [app.authenticate, app.requireRole('ADMIN')],
      schema: {
        tags,
        operationId: 'listJobs',
        summary: 'List recent jobs of a queue (admin)',
        security: authenticated,
        querystring: ListJobsQuery,
        response: {
          200: jsonResponse('One page of jobs, with the total count', JobPage),
          ...problems(401, 403, 422, 503),
        },
      },
    },
    async (request) => {
      const { queue, state, skip, limit } = request.query;
      return jobs.list(queue, state, { skip, limit });
    },
  );
};
