// Delivers one queued email at most once: the ledger (sent_emails) is checked before sending
// and written right after, so a retried job, a re-run completed job or a second job with the
// same key skips the send. The remaining window (the process dies between the send and the
// ledger write) can only duplicate, never lose, an email. The body arrives sealed
// (mail-sealer.ts) and is opened only for the delivery.
import { UnrecoverableError } from 'bullmq';
import type { MailMessage, Mailer } from '../../infra/mail/mailer.js';
import type { EmailJobData } from './email-jobs.js';
import { templateOf } from './email-jobs.js';
import { MailSealError, type MailSealer } from './mail-sealer.js';
import type { SentEmailsRepository } from './sent-emails.repository.js';

export interface EmailResult {
  sent: boolean;
}

export function emailProcessor(delivery: Mailer, ledger: SentEmailsRepository, sealer: MailSealer) {
  return async (job: { data: EmailJobData }): Promise<EmailResult> => {
    const { to, subject, idempotencyKey, sealedText } = job.data;
    if (await ledger.has(idempotencyKey)) return { sent: false };
    // Opened here, right before delivery: the body exists in clear only in this process's memory.
    let text: string;
    try {
      text = sealer.open(sealedText, { to, subject, idempotencyKey });
    } catch (err) {
      // A retry would open it no better (a new key, or data altered in Redis).
      if (err instanceof MailSealError) throw new UnrecoverableError(err.message);
      throw err;
    }
    const message: MailMessage = { to, subject, text, idempotencyKey };
    await delivery.send(message);
    await ledger.record({ key: idempotencyKey, recipient: to, template: templateOf(idempotencyKey) });
    return { sent: true };
  };
}
