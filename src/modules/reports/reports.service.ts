// Asking for a report: a job on the `reports` queue owned by the requester.
import { randomUUID } from 'node:crypto';
import type { JobEnqueuer } from '../../infra/queues/definitions.js';
import type { ReportJobData } from './items-report.processor.js';

export class ReportsService {
  constructor(private readonly queues: JobEnqueuer) {}

  async requestItemsReport(ownerId: number): Promise<{ jobId: string }> {
    const data: ReportJobData = { ownerId };
    return { jobId: await this.queues.enqueue('reports', 'items-by-tag', data, { jobId: `report-${randomUUID()}` }) };
  }
}
