// The SMTP adapter of the mail port (nodemailer), used when SMTP_URL is set; compose points it
// at Mailpit. Timeouts are bounded so a stuck server fails the job (which is retried) instead
// of holding a worker slot forever.
import nodemailer, { type Transporter } from 'nodemailer';
import type SMTPTransport from 'nodemailer/lib/smtp-transport/index.js';
import type { MailMessage, Mailer } from '../../lib/mail.js';

export class SmtpMailer implements Mailer {
  private readonly transport: Transporter;

  constructor(
    smtpUrl: string,
    private readonly from: string,
  ) {
    const options: SMTPTransport.Options = { url: smtpUrl, connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 30_000 };
    this.transport = nodemailer.createTransport(options);
  }

  async send(message: MailMessage): Promise<void> {
    await this.transport.sendMail({
      from: this.from,
      to: message.to,
      subject: message.subject,
      text: message.text,
      // Lets a receiving system (or a person reading headers) spot a duplicate.
      headers: { 'X-Idempotency-Key': message.idempotencyKey },
    });
  }

  close(): void {
    this.transport.close();
  }
}
