// Email bodies are sealed before they go on the `email` queue. A body can hold a live secret (a
// password-reset link), and job data is readable by every admin in the queue dashboard, by
// anyone with access to Redis or its backups, and it stays there for days after a failure. The
// api seals the body with AES-256-GCM under a key derived from JWT_SECRET; only the worker's
// mail step opens it, right before delivery.
// The recipient, subject and idempotency key stay readable (operators need them) and are bound
// to the ciphertext as associated data: a job whose recipient was changed in Redis cannot be
// opened, so the queue cannot be used to send a reset link, or any text, to another address.
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** What a sealed body is bound to: any change to these makes it unreadable. */
export interface SealContext {
  to: string;
  subject: string;
  idempotencyKey: string;
}

export class MailSealError extends Error {
  override name = 'MailSealError';
}

export class MailSealer {
  private readonly key: Buffer;

  constructor(appSecret: string) {
    // A key of its own: knowing it says nothing about the JWT signing key, and vice versa.
    this.key = Buffer.from(hkdfSync('sha256', appSecret, 'fastify-template/email-jobs', 'email body sealing v1', 32));
  }

  seal(text: string, context: SealContext): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(associatedData(context));
    const sealed = Buffer.concat([iv, cipher.update(text, 'utf8'), cipher.final(), cipher.getAuthTag()]);
    return `${VERSION}.${sealed.toString('base64url')}`;
  }

  /** The body; throws MailSealError when it was sealed under another key or anything was altered. */
  open(sealed: string, context: SealContext): string {
    const [version, payload] = sealed.split('.');
    const bytes = Buffer.from(payload ?? '', 'base64url');
    if (version !== VERSION || bytes.length < IV_BYTES + TAG_BYTES) throw new MailSealError('not a sealed email body');
    const decipher = createDecipheriv('aes-256-gcm', this.key, bytes.subarray(0, IV_BYTES));
    decipher.setAAD(associatedData(context));
    decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
    try {
      return Buffer.concat([
        decipher.update(bytes.subarray(IV_BYTES, bytes.length - TAG_BYTES)),
        decipher.final(),
      ]).toString('utf8');
    } catch {
      throw new MailSealError(
        'the email body cannot be opened: JWT_SECRET changed since it was queued, or the job data was altered',
      );
    }
  }
}

function associatedData({ to, subject, idempotencyKey }: SealContext): Buffer {
  return Buffer.from(JSON.stringify([to, subject, idempotencyKey]), 'utf8');
}
