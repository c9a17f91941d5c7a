// What the composition roots promise: an override given by name reaches every part built on it,
// and a worker builds and runs only the queues it is given.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { App } from '../../src/compose/api.js';
import { startWorkerRuntime } from '../../src/compose/worker.js';
import type { MailMessage, Mailer } from '../../src/infra/mail/mailer.js';
import { PasswordHasher } from '../../src/modules/auth/password-hasher.js';
import { buildTestApp, testConfig } from '../helpers/app.js';
import { createUser, uniqueEmail } from '../helpers/factories/users.js';

class Inbox implements Mailer {
  readonly sent: Array<{ message: MailMessage; ownerId: number | null | undefined }> = [];
  async send(message: MailMessage, ownerId?: number | null) {
    this.sent.push({ message, ownerId });
  }
}

describe('the api root', () => {
  const inbox = new Inbox();
  let app: App;
  beforeAll(async () => {
    app = await buildTestApp({ overrides: { mailer: inbox } });
  });
  afterAll(() => app.close());

  it('sends every email through the mailer it was given: sign-up, taken email and reset alike', async () => {
    const user = await createUser(app);
    const again = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/register',
      payload: { email: user.email, password: 'another-password-1', name: 'Someone' },
    });
    expect(again.statusCode).toBe(202);
    const reset = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/password-reset/request',
      payload: { email: user.email },
    });
    expect(reset.statusCode).toBe(202);
    await app.services.auth.passwordReset.idle();

    const kinds = inbox.sent
      .filter(({ message }) => message.to === user.email)
      .map(({ message, ownerId }) => [message.idempotencyKey.split(':')[0], ownerId]);
    // The welcome and account-exists emails say whose they are (the jobs API shows them to that user).
    expect(kinds).toEqual([
      ['welcome', user.id],
      ['account-exists', user.id],
      ['password-reset', undefined],
    ]);
  });
});

describe('an override of a shared part', () => {
  it('reaches every module built on it: one password hasher for sign-in and the profile', async () => {
    class CountingHasher extends PasswordHasher {
      verified = 0;
      override async verify(password: string, hash: string): Promise<boolean> {
        this.verified += 1;
        return super.verify(password, hash);
      }
    }
    const hasher = new CountingHasher(4);
    const app = await buildTestApp({ overrides: { passwordHasher: hasher } });
    try {
      const user = await createUser(app); // signs in: the auth module verifies once
      expect(hasher.verified).toBe(1);
      const renamed = await app.inject({
        method: 'PATCH',
        url: '/api/v1/users/me',
        headers: user.headers,
        payload: { email: uniqueEmail(), currentPassword: user.password },
      });
      expect(renamed.statusCode).toBe(200);
      expect(hasher.verified).toBe(2); // the users module checked the current password with it
    } finally {
      await app.close();
    }
  });
});

describe('the worker root', () => {
  it('runs a worker for each queue it is given, and none for the others', async () => {
    const config = testConfig({ REDIS_PREFIX: `${inject('redisPrefix')}composition:` });
    const only = await startWorkerRuntime(config, { queues: ['reports'] });
    try {
      expect(only.workers.workers.map((worker) => worker.name)).toEqual(['reports']);
    } finally {
      await only.close();
    }
    const all = await startWorkerRuntime(config);
    try {
      expect(all.workers.workers.map((worker) => worker.name).sort()).toEqual([
        'email',
        'imports',
        'reports',
        'storage',
      ]);
    } finally {
      await all.close();
    }
  });
});
