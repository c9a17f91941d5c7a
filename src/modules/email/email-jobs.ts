// Email as background work: the api puts messages on the `email` queue (QueuedMailer is the
// mail port services use), and the worker delivers them through the real adapter. The job id
// comes from the message's idempotency key, so enqueueing one message twice makes one job.
import { createHash } from 'node:crypto';
import type { MailMessage, Mailer } from '../../lib/mail.js';
import type { JobEnqueuer, OwnedJobData } from '../jobs/queues.js';

export interface EmailJobData extends OwnedJobData, MailMessage {}

/** `password-reset:42` -> `password-reset`: the kind of email, kept in the ledger. */
export function templateOf(idempotencyKey: string): string {
  return idempotencyKey.split(':')[0] || 'mail';
}

/** BullMQ ids may not contain `:` and keys may be long: a digest is stable and safe. */
export function emailJobId(idempotencyKey: string): string {
  return `email-${createHash('sha256').update(idempotencyKey).digest('hex').slice(0, 40)}`;
}

export class QueuedMailer implements Mailer {
  constructor(private readonly queues: JobEnqueuer) {}

  async send(message: MailMessage, ownerId: number | null = null): Promise<void> {
    const data: EmailJobData = { ownerId, ...message };
    await this.queues.enqueue('email', templateOf(message.idempotencyKey), data, { jobId: emailJobId(message.idempotencyKey) });
  }
}

export function welcomeEmail(user: { id: number; email: string; name: string }, publicUrl: string): MailMessage {
  return {
    to: user.email,
    subject: 'Welcome!',
    text: `Hello ${user.name},\n\nyour account is ready. Sign in at ${publicUrl} with this email address.\n`,
    idempotencyKey: `welcome:${user.id}`,
  };
}
