// The email a sign-up with a taken address sends to that address's owner instead of answering
// "email taken" to whoever asked (OWASP: no account enumeration at registration). It carries
// nothing the requester chose (no name), only fixed text and our own links.
import type { MailMessage } from '../../infra/mail/mailer.js';

/** At most one such email per account per hour: repeated sign-ups must not flood the owner. */
const WINDOW_MS = 60 * 60 * 1000;

export function accountExistsEmail(
  user: { id: number; email: string },
  publicUrl: string,
  now = new Date(),
): MailMessage {
  const resetUrl = new URL('/reset-password', publicUrl).toString();
  return {
    to: user.email,
    subject: 'You already have an account',
    text:
      `Someone, maybe you, tried to create an account at ${publicUrl} with this email address, but it already has one.\n\n` +
      `If it was you: sign in with this address. Forgot the password? Ask for a new one at ${resetUrl}\n\n` +
      'If it was not you, ignore this email: nothing was changed.\n',
    // The ledger and the job id make this key send once: one email per account and hour.
    idempotencyKey: `account-exists:${user.id}:${Math.floor(now.getTime() / WINDOW_MS)}`,
  };
}
