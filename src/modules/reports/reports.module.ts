// The reports module, both halves: the api queues a report for the admin who asks; the worker
// builds it (items per tag, as CSV) and stores it as one of the requester's files.
import type { Job } from 'bullmq';
import type { FastifyPluginAsync } from 'fastify';
import type { PrismaClient } from '../../db/prisma.js';
import type { JobEnqueuer } from '../../infra/queues/definitions.js';
import type { Storage } from '../../infra/storage/storage.js';
import { FilesRepository } from '../files/files.repository.js';
import { ItemsReportProcessor, type ReportJob } from './items-report.processor.js';
import { ReportsRepository } from './reports.repository.js';
import { reportsRoutes } from './reports.routes.js';
import { ReportsService } from './reports.service.js';

export function reportsModule({ queues }: { queues: JobEnqueuer }) {
  const service = new ReportsService(queues);
  const routes: FastifyPluginAsync = async (app) => {
    await app.register(reportsRoutes, { reports: service });
  };
  return { service, routes };
}

/** The worker's side: runs the jobs of the `reports` queue. */
export function reportsJobProcessor({ prisma, storage }: { prisma: PrismaClient; storage: Storage }) {
  const processor = new ItemsReportProcessor({
    storage,
    files: new FilesRepository(prisma),
    reports: new ReportsRepository(prisma),
  });
  return (job: Job) => processor.process(job as unknown as ReportJob);
}
