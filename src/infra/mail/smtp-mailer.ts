// The SMTP adapter of the mail port (nodemailer), used when SMTP_URL is set; compose points it
// at Mailpit. Timeouts are bounded so a stuck server fails the job (which is retried) instead
// of holding a worker slot forever. nodemailer is loaded with the first message: only the
// worker sends mail, and a process that never sends one never pays for the module
// (about 15 MB of RSS, tools/bench/results).
import type { Transporter } from 'nodemailer';
import type SMTPTransport from 'nodemailer/lib/smtp-transport/index.js';
import type { MailMessage, Mailer } from './mailer.js';

export class SmtpMailer implements Mailer {
  private transport: Promise<Transporter> | undefined;

  constructor(
    private readonly smtpUrl: string,
    private readonly from: string,
  ) {}

  private connect(): Promise<Transporter> {
    this.transport ??= import('nodemailer').then(({ default: nodemailer }) => {
      const options: SMTPTransport.Options = {
        url: this.smtpUrl,
        connectionTimeout: 10_000,
        greetingTimeout: 10_000,
        socketTimeout: 30_000,
      };
      return nodemailer.createTransport(options);
    });
    return this.transport;
  }

  async send(message: MailMessage): Promise<void> {
    const transport = await this.connect();
    await transport.sendMail({
      from: this.from,
      to: message.to,
      subject: message.subject,
      text: message.text,
      // Lets a receiving system (or a person reading headers) spot a duplicate.
      headers: { 'X-Idempotency-Key': message.idempotencyKey },
    });
  }

  close(): void {
    void this.transport?.then((transport) => transport.close());
  }
}
