// Delivers one queued email at most once: the ledger (sent_emails) is checked before sending
// and written right after, so a retried job, a re-run completed job or a second job with the
// same key skips the send. The remaining window (the process dies between the send and the
// ledger write) can only duplicate, never lose, an email.
import type { MailMessage, Mailer } from '../../lib/mail.js';
import type { EmailJobData } from './email-jobs.js';
import { templateOf } from './email-jobs.js';
import type { SentEmailsRepository } from './sent-emails.repository.js';

export interface EmailResult {
  sent: boolean;
}

export function emailProcessor(delivery: Mailer, ledger: SentEmailsRepository) {
  return async (job: { data: EmailJobData }): Promise<EmailResult> => {
    const { to, subject, text, idempotencyKey } = job.data;
    if (await ledger.has(idempotencyKey)) return { sent: false };
    const message: MailMessage = { to, subject, text, idempotencyKey };
    await delivery.send(message);
    await ledger.record({ key: idempotencyKey, recipient: to, template: templateOf(idempotencyKey) });
    return { sent: true };
  };
}
