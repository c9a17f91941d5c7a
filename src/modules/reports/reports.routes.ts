// Reports are produced in the background: the request answers 202 with the job to follow.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { authenticated, jsonResponse, problems, responseHeaders } from '../../lib/openapi.js';
import { JobAccepted } from '../jobs/jobs.schemas.js';
import type { ReportsService } from './reports.service.js';

export interface ReportsRoutesOptions {
  reports: ReportsService;
}

export const reportsRoutes: FastifyPluginAsyncTypebox<ReportsRoutesOptions> = async (app, { reports }) => {
  app.post(
    '/items',
    {
      onRequest: [app.authenticate, app.requireRole('ADMIN')],
      schema: {
        tags: ['reports'],
        operationId: 'createItemsReport',
        summary: 'Generate the items-per-tag report (admin)',
        description:
          'Queues a job that writes a CSV (`tag,count,average_price`) as a file owned by you. Follow the job at the ' +
          'Location; its result is `{ fileId }`, downloadable at `/api/v1/files/{fileId}/content`.',
        security: authenticated,
        response: {
          202: jsonResponse(
            'The report job was queued; `Location` is the job to follow',
            JobAccepted,
            responseHeaders.location,
          ),
          ...problems(401, 403, 503),
        },
      },
    },
    async (request, reply) => {
      const { jobId } = await reports.requestItemsReport(request.user.id);
      return reply.code(202).header('location', `/api/v1/jobs/${jobId}`).send({ jobId });
    },
  );
};
