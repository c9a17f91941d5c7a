// The SMTP adapter loads nodemailer with its first message (the api never sends mail itself):
// it must still deliver that first message, and the next ones on the same transport.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SmtpMailer } from '../../../src/infra/mail/smtp-mailer.js';
import { FakeSmtp } from '../../helpers/fake-smtp.js';

const smtp = new FakeSmtp();
beforeAll(() => smtp.start());
afterAll(() => smtp.stop());

describe('SmtpMailer', () => {
  it('delivers through SMTP, nodemailer loaded on first use', async () => {
    const mailer = new SmtpMailer(smtp.url, 'Template <no-reply@example.com>');
    try {
      await mailer.send({ to: 'first@example.com', subject: 'One', text: 'first body', idempotencyKey: 'k-1' });
      await mailer.send({ to: 'second@example.com', subject: 'Two', text: 'second body', idempotencyKey: 'k-2' });
      expect(smtp.received.map((mail) => mail.to)).toEqual([['<first@example.com>'], ['<second@example.com>']]);
      expect(smtp.received[0]!.data).toContain('X-Idempotency-Key: k-1');
      expect(smtp.received[0]!.data).toContain('first body');
    } finally {
      mailer.close();
    }
  });
});
