// Email as background work, both halves: the api's mail port puts sealed messages on the
// `email` queue; the worker's processor opens and delivers each at most once. Both derive the
// sealing key from JWT_SECRET (mail-sealer.ts), so only these two processes can read a body.
import type { PrismaClient } from '../../db/prisma.js';
import type { Mailer } from '../../infra/mail/mailer.js';
import type { JobEnqueuer } from '../../infra/queues/definitions.js';
import { QueuedMailer, type EmailJobData } from './email-jobs.js';
import { emailProcessor } from './email.processor.js';
import { MailSealer } from './mail-sealer.js';
import { SentEmailsRepository } from './sent-emails.repository.js';

/** The api's mail port: every email the services send goes on the queue. */
export function queuedMailer({ queues, jwtSecret }: { queues: JobEnqueuer; jwtSecret: string }): Mailer {
  return new QueuedMailer(queues, new MailSealer(jwtSecret));
}

export interface EmailProcessorDeps {
  prisma: PrismaClient;
  /** The real adapter (infra/mail/mail-delivery.ts); tests give an inbox. */
  delivery: Mailer;
  jwtSecret: string;
}

/** The worker's side: runs the jobs of the `email` queue. */
export function emailJobProcessor({ prisma, delivery, jwtSecret }: EmailProcessorDeps) {
  const process = emailProcessor(delivery, new SentEmailsRepository(prisma), new MailSealer(jwtSecret));
  return (job: { data: unknown }) => process(job as { data: EmailJobData });
}
