// Email as background work: the api puts messages on the `email` queue (QueuedMailer is the
// mail port services use), and the worker delivers them through the real adapter. The job id
// comes from the message's idempotency key, so enqueueing one message twice makes one job.
// The body travels sealed (mail-sealer.ts): job data never holds a reset link in clear.
import { createHash } from 'node:crypto';
import type { MailMessage, Mailer } from '../../infra/mail/mailer.js';
import type { JobEnqueuer, OwnedJobData } from '../../infra/queues/definitions.js';
import type { MailSealer } from './mail-sealer.js';

/** The envelope in clear (the dashboard shows it), the body sealed: no secret in job data. */
export interface EmailJobData extends OwnedJobData, Omit<MailMessage, 'text'> {
  sealedText: string;
}

/** `password-reset:42` -> `password-reset`: the kind of email, kept in the ledger. */
export function templateOf(idempotencyKey: string): string {
  return idempotencyKey.split(':')[0] || 'mail';
}

/** BullMQ ids may not contain `:` and keys may be long: a digest is stable and safe. */
export function emailJobId(idempotencyKey: string): string {
  return `email-${createHash('sha256').update(idempotencyKey).digest('hex').slice(0, 40)}`;
}

export class QueuedMailer implements Mailer {
  constructor(
    private readonly queues: JobEnqueuer,
    private readonly sealer: MailSealer,
  ) {}

  async send(message: MailMessage, ownerId: number | null = null): Promise<void> {
    const { text, ...envelope } = message;
    const data: EmailJobData = { ownerId, ...envelope, sealedText: this.sealer.seal(text, envelope) };
    await this.queues.enqueue('email', templateOf(message.idempotencyKey), data, {
      jobId: emailJobId(message.idempotencyKey),
    });
  }
}

/**
 * The address is not verified: whoever signed up chose it, and the name. So the email carries
 * fixed text and our own links only, never the name (an attacker's text or link, delivered from
 * our domain to someone else's inbox), and tells an unwitting owner how to take the account over.
 */
export function welcomeEmail(user: { id: number; email: string }, publicUrl: string): MailMessage {
  const resetUrl = new URL('/reset-password', publicUrl).toString();
  return {
    to: user.email,
    subject: 'Welcome!',
    text:
      `An account was created at ${publicUrl} with this email address. Sign in there with this address.\n\n` +
      `If it was not you, someone used your address: take the account over by asking for a new password at ${resetUrl}, or ignore this email.\n`,
    idempotencyKey: `welcome:${user.id}`,
  };
}
