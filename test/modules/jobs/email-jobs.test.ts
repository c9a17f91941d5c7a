// The `email` queue end to end against the real Redis and a real (in-process) worker: the
// welcome email on sign-up and the password-reset email are queued by the api and delivered by
// the worker; retries with backoff, permanent failure, and idempotency (a retried job never
// sends twice). Also the jobs API that reports on them.
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import type { App } from '../../../src/compose/api.js';
import type { MailMessage, Mailer } from '../../../src/infra/mail/mailer.js';
import { emailJobId } from '../../../src/modules/email/email-jobs.js';
import { startWorkerRuntime, type WorkerRuntime } from '../../../src/compose/worker.js';
import { buildTestApp, problemOf, testConfig } from '../../helpers/app.js';
import { createAdmin, createUser, type TestUser, uniqueEmail } from '../../helpers/factories/users.js';
import { settledJob } from '../../helpers/jobs.js';

/** Delivers into memory; `failures` makes the next N sends to an address throw. */
class FlakyMailer implements Mailer {
  readonly delivered: MailMessage[] = [];
  readonly failures = new Map<string, number>();
  attempts = 0;

  async send(message: MailMessage) {
    this.attempts += 1;
    const left = this.failures.get(message.to) ?? 0;
    if (left > 0) {
      this.failures.set(message.to, left - 1);
      throw new Error(`smtp refused ${message.to}`);
    }
    this.delivered.push(message);
  }

  to(address: string) {
    return this.delivered.filter((message) => message.to === address);
  }
}

// A queue prefix of this file's own, so no other test file's worker takes these jobs.
const env = { REDIS_PREFIX: `${inject('redisPrefix')}email-jobs:`, JOB_ATTEMPTS: '3', JOB_BACKOFF_MS: '50' };
const mailer = new FlakyMailer();
let app: App;
let worker: WorkerRuntime;
let admin: TestUser;

interface JobOut {
  id: string;
  queue: string;
  name: string;
  state: string;
  result: unknown;
  failedReason: string | null;
  attemptsMade: number;
  ownerId: number | null;
}

async function jobAs(user: TestUser, id: string) {
  return app.inject({ method: 'GET', url: `/api/v1/jobs/${id}`, headers: user.headers });
}

const settled = (user: TestUser, id: string) => settledJob<JobOut>(app, user, id, 15_000);

beforeAll(async () => {
  app = await buildTestApp({ env });
  worker = await startWorkerRuntime(testConfig(env), { overrides: { mailDelivery: mailer } });
  admin = await createAdmin(app);
});
afterAll(async () => {
  await worker?.close();
  await app?.close();
});

describe('welcome email', () => {
  it('is queued on sign-up and delivered once by the worker; the job belongs to the new user', async () => {
    const user = await createUser(app);
    const jobId = emailJobId(`welcome:${user.id}`);
    const job = await settled(user, jobId);
    expect(job).toMatchObject({
      id: jobId,
      queue: 'email',
      name: 'welcome',
      state: 'completed',
      result: { sent: true },
      attemptsMade: 1,
      ownerId: user.id,
      failedReason: null,
    });
    expect(mailer.to(user.email)).toHaveLength(1);
    expect(mailer.to(user.email)[0]).toMatchObject({ subject: 'Welcome!', idempotencyKey: `welcome:${user.id}` });
    expect(await app.prisma.sentEmail.findUnique({ where: { key: `welcome:${user.id}` } })).toMatchObject({
      recipient: user.email,
      template: 'welcome',
    });
  });

  it('is retried with backoff after a failure and then sent exactly once', async () => {
    const email = uniqueEmail('flaky');
    mailer.failures.set(email, 1);
    const registered = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/register',
      payload: { email, password: 'a-long-password-1', name: 'Flaky' },
    });
    expect(registered.statusCode).toBe(202);
    const { id } = await app.prisma.user.findUniqueOrThrow({ where: { email } });
    const job = await settled(admin, emailJobId(`welcome:${id}`));
    expect(job).toMatchObject({ state: 'completed', attemptsMade: 2, result: { sent: true } });
    expect(mailer.to(email)).toHaveLength(1);
  });

  it('fails for good after the configured attempts, keeps the reason, and records nothing', async () => {
    const email = uniqueEmail('bounce');
    mailer.failures.set(email, 100);
    await app.inject({
      method: 'POST',
      url: '/api/v1/auth/register',
      payload: { email, password: 'a-long-password-1', name: 'Bounce' },
    });
    const { id } = await app.prisma.user.findUniqueOrThrow({ where: { email } });
    const job = await settled(admin, emailJobId(`welcome:${id}`));
    expect(job).toMatchObject({ state: 'failed', attemptsMade: 3, failedReason: `smtp refused ${email}` });
    expect(mailer.to(email)).toHaveLength(0);
    expect(await app.prisma.sentEmail.count({ where: { key: `welcome:${id}` } })).toBe(0);

    const failed = await app.inject({
      method: 'GET',
      url: '/api/v1/jobs?queue=email&state=failed&limit=100',
      headers: admin.headers,
    });
    expect(failed.statusCode).toBe(200);
    expect(failed.json<{ items: JobOut[] }>().items.map((j) => j.id)).toContain(job.id);
  });

  it('is never sent twice: a re-run completed job and a second enqueue of the same message skip it', async () => {
    const user = await createUser(app);
    const jobId = emailJobId(`welcome:${user.id}`);
    await settled(user, jobId);
    const queued = await app.services.queues.queues.email.getJob(jobId);
    await queued!.retry('completed');
    await vi.waitFor(
      async () => {
        const job = await settled(user, jobId);
        expect(job.result).toEqual({ sent: false });
      },
      { timeout: 15_000, interval: 50 },
    );
    // The same message enqueued again maps to the same job id: the finished job is returned,
    // nothing new is queued.
    await app.services.mailer.send({
      to: user.email,
      subject: 'Welcome!',
      text: 'again',
      idempotencyKey: `welcome:${user.id}`,
    });
    const same = await app.services.queues.queues.email.getJob(jobId);
    expect(await same!.getState()).toBe('completed');
    expect(same!.returnvalue).toEqual({ sent: false });
    expect(mailer.to(user.email)).toHaveLength(1);
  });
});

describe('password-reset email', () => {
  it('goes through the queue and the worker', async () => {
    const user = await createUser(app);
    const response = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/password-reset/request',
      payload: { email: user.email },
    });
    expect(response.statusCode).toBe(202);
    const message = await vi.waitFor(
      () => {
        const found = mailer.to(user.email).find((m) => m.subject === 'Reset your password');
        if (!found) throw new Error('not delivered yet');
        return found;
      },
      { timeout: 15_000, interval: 50 },
    );
    expect(message.text).toMatch(/token=/);
    // The worker writes the ledger row right after the send (email.processor.ts): wait for it.
    await expect
      .poll(() => app.prisma.sentEmail.count({ where: { key: message.idempotencyKey, template: 'password-reset' } }), {
        timeout: 15_000,
        interval: 50,
      })
      .toBe(1);
  });
});

describe('GET /api/v1/jobs/:id', () => {
  it('is 404 for another user, 200 for an admin, 401 without a token, 422 for a malformed id', async () => {
    const owner = await createUser(app);
    const stranger = await createUser(app);
    const jobId = emailJobId(`welcome:${owner.id}`);
    await settled(owner, jobId);
    const hidden = await jobAs(stranger, jobId);
    expect(hidden.statusCode).toBe(404);
    expect(problemOf(hidden).status).toBe(404);
    expect((await jobAs(admin, jobId)).statusCode).toBe(200);
    expect((await jobAs(owner, 'no-such-job')).statusCode).toBe(404);
    expect((await app.inject({ method: 'GET', url: `/api/v1/jobs/${jobId}` })).statusCode).toBe(401);
    expect((await jobAs(owner, 'bad:id')).statusCode).toBe(422);
  });
});

describe('GET /api/v1/jobs', () => {
  it('lists a queue for admins, paginated; 403 for users; 422 for an unknown queue', async () => {
    const user = await createUser(app);
    await settled(user, emailJobId(`welcome:${user.id}`));
    const page = await app.inject({
      method: 'GET',
      url: '/api/v1/jobs?queue=email&state=completed&limit=2',
      headers: admin.headers,
    });
    expect(page.statusCode).toBe(200);
    const body = page.json<{ items: JobOut[]; total: number; limit: number; skip: number }>();
    expect(body.items.length).toBeLessThanOrEqual(2);
    expect(body.total).toBeGreaterThanOrEqual(body.items.length);
    expect(body.items.every((job) => job.state === 'completed' && job.queue === 'email')).toBe(true);
    const all = await app.inject({ method: 'GET', url: '/api/v1/jobs?queue=email&limit=100', headers: admin.headers });
    expect(all.json<{ total: number }>().total).toBeGreaterThanOrEqual(body.total);

    expect(
      (await app.inject({ method: 'GET', url: '/api/v1/jobs?queue=email', headers: user.headers })).statusCode,
    ).toBe(403);
    const unknown = await app.inject({ method: 'GET', url: '/api/v1/jobs?queue=nope', headers: admin.headers });
    expect(unknown.statusCode).toBe(422);
    expect(problemOf(unknown).errors?.[0]?.path).toMatch(/^\/query\/queue/);
  });
});

describe('Redis down for the queues', () => {
  it('answers 503 problems fast, and sign-up still works without its welcome email', async () => {
    const down = await buildTestApp({ env: { ...env, REDIS_URL: 'redis://127.0.0.1:1' } });
    try {
      const user = await createUser(app);
      const response = await down.inject({
        method: 'GET',
        url: `/api/v1/jobs/${emailJobId(`welcome:${user.id}`)}`,
        headers: user.headers,
      });
      // Auth needs Redis only for the deny-list, which degrades; the queue read fails fast.
      expect(response.statusCode).toBe(503);
      expect(problemOf(response)).toMatchObject({ status: 503, title: 'Service Unavailable' });
      expect(response.headers['retry-after']).toBeDefined();

      await expect(
        down.services.mailer.send({ to: user.email, subject: 's', text: 't', idempotencyKey: 'x:1' }),
      ).rejects.toMatchObject({ status: 503 });
      const registered = await down.inject({
        method: 'POST',
        url: '/api/v1/auth/register',
        payload: { email: uniqueEmail(), password: 'a-long-password-1', name: 'Offline' },
      });
      expect(registered.statusCode).toBe(202);
    } finally {
      await down.close();
    }
  });
});
