// The sealing of email bodies on the queue: only the same app secret opens a body, and only
// with the envelope it was sealed with.
import { describe, expect, it } from 'vitest';
import { MailSealError, MailSealer } from '../../../src/modules/email/mail-sealer.js';

const envelope = { to: 'ada@example.com', subject: 'Reset your password', idempotencyKey: 'password-reset:1' };
const body = 'open https://app.example.com/reset-password?token=abcdef';

describe('MailSealer', () => {
  it('opens what it sealed; the sealed form shows nothing of the body and differs every time', () => {
    const sealer = new MailSealer('secret-one-that-is-long-enough-0123456789');
    const sealed = sealer.seal(body, envelope);
    expect(sealed).toMatch(/^v1\.[\w-]+$/);
    expect(sealed).not.toContain('token');
    expect(sealer.seal(body, envelope)).not.toBe(sealed);
    expect(sealer.open(sealed, envelope)).toBe(body);
  });

  it('refuses another key, a changed envelope and altered bytes', () => {
    const sealer = new MailSealer('secret-one-that-is-long-enough-0123456789');
    const sealed = sealer.seal(body, envelope);
    expect(() => new MailSealer('secret-two-that-is-long-enough-0123456789').open(sealed, envelope)).toThrow(
      MailSealError,
    );
    for (const changed of [{ to: 'eve@example.com' }, { subject: 'Hi' }, { idempotencyKey: 'password-reset:2' }]) {
      expect(() => sealer.open(sealed, { ...envelope, ...changed })).toThrow(MailSealError);
    }
    const bytes = Buffer.from(sealed.slice(3), 'base64url');
    bytes[20] = bytes[20]! ^ 1;
    expect(() => sealer.open(`v1.${bytes.toString('base64url')}`, envelope)).toThrow(MailSealError);
    expect(() => sealer.open('plain text', envelope)).toThrow(MailSealError);
  });
});
