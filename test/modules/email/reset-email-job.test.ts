// No live secret in job data: the password-reset email goes through the real `email` queue
// (real Redis, read back with BullMQ's own Queue.getJob and raw Redis commands) with its body
// sealed, and the real worker code still delivers a link that resets the password. A job whose
// recipient was changed in Redis cannot be opened, so the link never reaches another address.
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import type { App } from '../../../src/compose/api.js';
import type { MailMessage, Mailer } from '../../../src/infra/mail/mailer.js';
import { emailJobId, type EmailJobData } from '../../../src/modules/email/email-jobs.js';
import { bullPrefix } from '../../../src/infra/queues/definitions.js';
import { startWorkerRuntime, type WorkerRuntime } from '../../../src/compose/worker.js';
import { buildTestApp, testConfig } from '../../helpers/app.js';
import { createUser, type TestUser } from '../../helpers/factories/users.js';

class Inbox implements Mailer {
  readonly delivered: MailMessage[] = [];
  async send(message: MailMessage) {
    this.delivered.push(message);
  }
}

// A queue prefix of this file's own, so no other test file's worker takes these jobs.
const env = { REDIS_PREFIX: `${inject('redisPrefix')}reset-mail:`, JOB_ATTEMPTS: '2', JOB_BACKOFF_MS: '50' };
const inbox = new Inbox();
let app: App;
let queue: Queue;
let redis: Redis;
let worker: WorkerRuntime | undefined;

beforeAll(async () => {
  app = await buildTestApp({ env });
  const config = testConfig(env);
  queue = new Queue('email', { connection: { url: config.redisUrl }, prefix: bullPrefix(config) });
  redis = new Redis(config.redisUrl);
});
afterAll(async () => {
  await worker?.close();
  await queue?.close();
  await redis?.quit();
  await app?.close();
});

/** The worker starts on demand, so a test can look at (or alter) a job before it runs. */
async function startWorker(): Promise<void> {
  worker ??= await startWorkerRuntime(testConfig(env), { overrides: { mailDelivery: inbox }, queues: ['email'] });
}

/** Asks for a reset and returns the id of the job that carries the email. */
async function requestReset(user: TestUser): Promise<string> {
  const response = await app.inject({
    method: 'POST',
    url: '/api/v1/auth/password-reset/request',
    payload: { email: user.email },
  });
  expect(response.statusCode).toBe(202);
  await app.services.auth.passwordReset.idle();
  const row = await app.prisma.passwordResetToken.findFirstOrThrow({
    where: { userId: user.id },
    orderBy: { createdAt: 'desc' },
  });
  return emailJobId(`password-reset:${row.id}`);
}

/** Every value stored under this file's Redis prefix, as text (strings, hashes, lists, sets, sorted sets, streams). */
async function everythingInRedis(): Promise<string> {
  const parts: string[] = [];
  for (const key of await redis.keys(`${env.REDIS_PREFIX}*`)) {
    const type = await redis.type(key);
    if (type === 'string') parts.push((await redis.get(key)) ?? '');
    else if (type === 'hash') parts.push(JSON.stringify(await redis.hgetall(key)));
    else if (type === 'list') parts.push(JSON.stringify(await redis.lrange(key, 0, -1)));
    else if (type === 'set') parts.push(JSON.stringify(await redis.smembers(key)));
    else if (type === 'zset') parts.push(JSON.stringify(await redis.zrange(key, 0, -1)));
    else if (type === 'stream') parts.push(JSON.stringify(await redis.xrange(key, '-', '+')));
  }
  return parts.join('\n');
}

async function deliveredTo(address: string): Promise<MailMessage> {
  return vi.waitFor(
    () => {
      const found = inbox.delivered.find((m) => m.to === address && m.subject === 'Reset your password');
      if (!found) throw new Error('not delivered yet');
      return found;
    },
    { timeout: 15_000, interval: 50 },
  );
}

describe('the password-reset email job', () => {
  it('refuses a job whose recipient was changed in Redis: it fails for good and nothing is sent', async () => {
    const victim = await createUser(app);
    const jobId = await requestReset(victim);
    const job = (await queue.getJob(jobId))!;
    await job.updateData({ ...(job.data as EmailJobData), to: 'attacker@evil.example' });

    await startWorker();
    await vi.waitFor(async () => expect(await (await queue.getJob(jobId))!.getState()).toBe('failed'), {
      timeout: 15_000,
      interval: 50,
    });
    const failed = (await queue.getJob(jobId))!;
    expect(failed.attemptsMade).toBe(1); // unrecoverable: no retry
    expect(failed.failedReason).toMatch(/cannot be opened/);
    expect(inbox.delivered.some((m) => m.to === 'attacker@evil.example')).toBe(false);
  });

  it('holds no token in Redis, and the delivered message still has a working link', async () => {
    await startWorker();
    const user = await createUser(app);
    const jobId = await requestReset(user);
    const message = await deliveredTo(user.email);
    const token = new URL(/https?:\/\/\S+/.exec(message.text)![0]).searchParams.get('token')!;
    expect(token).toMatch(/^[\w-]{40,}$/);

    // Job data as BullMQ (and the dashboard) reads it: the envelope in clear, the body sealed.
    await vi.waitFor(async () => expect(await (await queue.getJob(jobId))!.getState()).toBe('completed'), {
      timeout: 15_000,
      interval: 50,
    });
    const job = (await queue.getJob(jobId))!;
    const data = job.data as EmailJobData & { text?: unknown };
    expect(data).toMatchObject({
      ownerId: null,
      to: user.email,
      subject: 'Reset your password',
      idempotencyKey: expect.stringMatching(/^password-reset:/),
    });
    expect(data.text).toBeUndefined();
    expect(data.sealedText).toMatch(/^v1\.[\w-]+$/);
    for (const stored of [
      JSON.stringify(job.data),
      JSON.stringify(await redis.hgetall(`${bullPrefix(testConfig(env))}:email:${jobId}`)),
    ]) {
      expect(stored).not.toContain(token);
      expect(stored).not.toContain('token=');
      expect(stored).not.toContain('reset-password');
    }
    // Nor anywhere else under the prefix (events stream, completed set, ...).
    expect(await everythingInRedis()).not.toContain(token);

    // The link works: the token resets the password, and the new one logs in.
    const confirm = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/password-reset/confirm',
      payload: { token, password: 'the-new-password-1' },
    });
    expect(confirm.statusCode).toBe(204);
    const login = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/token',
      payload: { username: user.email, password: 'the-new-password-1' },
    });
    expect(login.statusCode).toBe(200);
  });
});
