// Sign-up without account enumeration, end to end through the `email` queue and a real
// (in-process) worker: a taken email answers exactly like a new one, and its owner (not the
// requester) hears about it by email; the welcome email to the unverified address carries no
// text the requester chose.
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import type { App } from '../../../src/compose/api.js';
import type { MailMessage, Mailer } from '../../../src/infra/mail/mailer.js';
import { startWorkerRuntime, type WorkerRuntime } from '../../../src/compose/worker.js';
import { buildTestApp, testConfig } from '../../helpers/app.js';
import { createUser, uniqueEmail } from '../../helpers/factories/users.js';

class CapturingMailer implements Mailer {
  readonly delivered: MailMessage[] = [];
  async send(message: MailMessage) {
    this.delivered.push(message);
  }
  to(address: string) {
    return this.delivered.filter((message) => message.to === address);
  }
}

// A queue prefix of this file's own, so no other test file's worker takes these jobs.
const env = { REDIS_PREFIX: `${inject('redisPrefix')}registration:` };
const mailer = new CapturingMailer();
let app: App;
let worker: WorkerRuntime;

beforeAll(async () => {
  app = await buildTestApp({ env });
  worker = await startWorkerRuntime(testConfig(env), { overrides: { mailDelivery: mailer } });
});
afterAll(async () => {
  await worker?.close();
  await app?.close();
});

const register = (payload: { email: string; password: string; name: string }) =>
  app.inject({ method: 'POST', url: '/api/v1/auth/register', payload });
const mailTo = (address: string, count = 1) =>
  vi.waitFor(
    () => {
      const messages = mailer.to(address);
      if (messages.length < count) throw new Error(`${messages.length} emails to ${address} so far`);
      return messages;
    },
    { timeout: 15_000, interval: 50 },
  );

describe('sign-up with an email that already has an account', () => {
  it('answers exactly as for a new email, and tells the owner by email instead', async () => {
    const owner = await createUser(app);
    await mailTo(owner.email); // the owner's own welcome email
    const fresh = await register({ email: uniqueEmail('fresh'), password: 'a-long-password-1', name: 'New' });
    const taken = await register({ email: owner.email.toUpperCase(), password: 'a-long-password-1', name: 'Intruder' });

    expect(taken.statusCode).toBe(fresh.statusCode);
    expect(taken.statusCode).toBe(202);
    expect(taken.body).toBe(fresh.body);
    expect(Object.keys(taken.headers).sort()).toEqual(Object.keys(fresh.headers).sort());

    const [, notice] = await mailTo(owner.email, 2);
    expect(notice).toMatchObject({ to: owner.email, subject: 'You already have an account' });
    expect(notice!.idempotencyKey).toMatch(new RegExp(`^account-exists:${owner.id}:\\d+$`));
    expect(notice!.text).toContain('/reset-password');
    expect(notice!.text).not.toContain('Intruder');
    // Nothing about the account changed.
    expect(await app.prisma.user.findUniqueOrThrow({ where: { id: owner.id } })).toMatchObject({
      name: owner.name,
      email: owner.email,
    });
  });

  it('emails the owner at most once an hour, however often someone tries', async () => {
    const owner = await createUser(app);
    await mailTo(owner.email);
    const hour = () => Math.floor(Date.now() / 3_600_000);
    const firstHour = hour();
    for (let i = 0; i < 3; i++)
      expect((await register({ email: owner.email, password: 'a-long-password-1', name: 'Again' })).statusCode).toBe(
        202,
      );
    // One notice per hour; two only if the clock crossed an hour during the test.
    const expected = hour() - firstHour + 1;
    await mailTo(owner.email, 1 + expected);
    // Give another notice every chance to arrive.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(mailer.to(owner.email).filter((m) => m.subject === 'You already have an account')).toHaveLength(expected);
  });
});

describe('the welcome email to an unverified address', () => {
  it('carries no text the requester chose: the name stays out', async () => {
    const email = uniqueEmail('victim');
    const name = 'Locked! Call +1-555-0100 or <a href="https://evil.example/login">sign in</a>';
    expect(name.length).toBeLessThanOrEqual(100);
    expect((await register({ email, password: 'a-long-password-1', name })).statusCode).toBe(202);
    const [welcome] = await mailTo(email);
    expect(welcome!.subject).toBe('Welcome!');
    expect(welcome!.text).not.toContain('evil.example');
    expect(welcome!.text).not.toContain('555-0100');
    expect(welcome!.text).not.toContain('Locked!');
    // It tells an unwitting owner of the address how to take the account over.
    expect(welcome!.text).toContain('/reset-password');
  });
});
