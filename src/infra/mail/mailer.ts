// The mail port: the one way the application sends email. Services depend on this interface
// only; adapters decide how mail leaves (the log here; SMTP and a BullMQ queue elsewhere).
import type { Logger } from '../../lib/logger.js';

export interface MailMessage {
  to: string;
  subject: string;
  text: string;
  /** Same key = same email: an adapter that retries must deliver it at most once. */
  idempotencyKey: string;
}

export interface Mailer {
  /** `ownerId`: the user the email is about, when a queue keeps it (job visibility); others ignore it. */
  send(message: MailMessage, ownerId?: number | null): Promise<void>;
}

/**
 * Writes emails to the log instead of sending them (no SMTP configured). The body may hold a
 * one-time secret (a reset link), so it is logged only in development, where reading it from
 * the console is the point; elsewhere only the envelope is logged.
 */
export class LogMailer implements Mailer {
  constructor(
    private readonly log: Logger,
    private readonly includeBody: boolean,
  ) {}

  async send(message: MailMessage): Promise<void> {
    const envelope = { mail: { to: message.to, subject: message.subject, idempotencyKey: message.idempotencyKey } };
    if (this.includeBody) this.log.info({ ...envelope, text: message.text }, 'email (not sent: SMTP_URL is unset)');
    else this.log.info(envelope, 'email (not sent: SMTP_URL is unset; body withheld outside development)');
  }
}
