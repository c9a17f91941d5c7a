// Which function runs the jobs of each queue, built from the composition root.
import type { Dependencies } from '../../container.js';
import { emailProcessor } from '../email/email.processor.js';
import type { EmailJobData } from '../email/email-jobs.js';
import type { ImportJob } from '../imports/items-import.processor.js';
import type { ReportJob } from '../reports/items-report.processor.js';
import type { Processors } from '../../infra/queues/workers.js';

export function buildProcessors(deps: Dependencies): Processors {
  const email = emailProcessor(deps.mailDelivery, deps.sentEmailsRepository, deps.mailSealer);
  return {
    email: (job) => email(job as { data: EmailJobData }),
    imports: (job) => deps.itemsImportProcessor.process(job as ImportJob),
    reports: (job) => deps.itemsReportProcessor.process(job as ReportJob),
  };
}
