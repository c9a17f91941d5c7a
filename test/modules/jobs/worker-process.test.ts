// The worker as a real process (`node --import tsx src/worker.ts`), sending through the SMTP
// adapter to a fake SMTP server: SIGTERM in the middle of a job lets that job finish (the email
// arrives, the job completes) and the process exits 0.
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import type { App } from '../../../src/compose/api.js';
import { emailJobId } from '../../../src/modules/email/email-jobs.js';
import { buildTestApp, testEnv } from '../../helpers/app.js';
import { createUser } from '../../helpers/factories/users.js';
import { ChildProcessHandle } from '../../helpers/child-process.js';
import { FakeSmtp } from '../../helpers/fake-smtp.js';

const smtp = new FakeSmtp();
let app: App;
let worker: ChildProcessHandle | undefined;

beforeAll(async () => {
  await smtp.start();
  const env = { REDIS_PREFIX: `${inject('redisPrefix')}worker-process:`, SMTP_URL: smtp.url };
  app = await buildTestApp({ env });
  worker = ChildProcessHandle.spawnTs('src/worker.ts', testEnv({ ...env, LOG_LEVEL: 'info' }));
  await worker.waitForOutput('worker started');
});
afterAll(async () => {
  await worker?.kill('SIGKILL');
  await app?.close();
  await smtp.stop();
});

describe('worker process', () => {
  it('finishes the active job on SIGTERM, then exits 0', async () => {
    smtp.hold();
    const user = await createUser(app);
    const jobId = emailJobId(`welcome:${user.id}`);
    // The worker has connected to SMTP and waits for the greeting: the job is in progress.
    await vi.waitFor(() => expect(smtp.connections).toBeGreaterThan(0), { timeout: 15_000, interval: 50 });
    const active = await app.inject({ method: 'GET', url: `/api/v1/jobs/${jobId}`, headers: user.headers });
    expect(active.json()).toMatchObject({ state: 'active' });

    const exited = worker!.kill('SIGTERM');
    await vi.waitFor(() => expect(worker!.output).toContain('worker stopping'), { timeout: 10_000, interval: 50 });
    smtp.release();
    const { code } = await exited;
    expect(code).toBe(0);

    expect(smtp.received).toHaveLength(1);
    expect(smtp.received[0]!.to).toEqual([`<${user.email}>`]);
    expect(smtp.received[0]!.data).toContain('Subject: Welcome!');
    const done = await app.inject({ method: 'GET', url: `/api/v1/jobs/${jobId}`, headers: user.headers });
    expect(done.json()).toMatchObject({ state: 'completed', result: { sent: true }, attemptsMade: 1 });
    expect(await app.prisma.sentEmail.count({ where: { key: `welcome:${user.id}` } })).toBe(1);
  });
});
