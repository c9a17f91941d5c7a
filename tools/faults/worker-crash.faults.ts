// A worker process is killed with SIGKILL in the middle of a job: no shutdown hook runs, its job
// lock simply stops being renewed. Another worker process takes the job over after the stalled
// check and completes it, and the job's side effect happens exactly once: an email is sent
// once, an import inserts each row once.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import type { App } from '../../src/compose/api.js';
import { emailJobId } from '../../src/modules/email/email-jobs.js';
import { buildTestApp, testEnv } from '../../test/helpers/app.js';
import { createUser, type TestUser } from '../../test/helpers/factories/users.js';
import { FakeSmtp } from '../../test/helpers/fake-smtp.js';
import { multipart } from '../../test/modules/files/multipart.js';
import { ChildProcessHandle } from '../../test/helpers/child-process.js';

const smtp = new FakeSmtp();
let app: App;
let workerEnv: Record<string, string>;
const workers: ChildProcessHandle[] = [];

interface JobView {
  state: string;
  progress: unknown;
  result: Record<string, unknown> | null;
}

async function startWorker(): Promise<ChildProcessHandle> {
  const worker = ChildProcessHandle.spawnTs('src/worker.ts', workerEnv);
  workers.push(worker);
  await worker.waitForOutput('worker started');
  return worker;
}

async function job(as: TestUser, jobId: string): Promise<JobView> {
  return (await app.inject({ method: 'GET', url: `/api/v1/jobs/${jobId}`, headers: as.headers })).json<JobView>();
}

async function completed(as: TestUser, jobId: string): Promise<JobView> {
  return vi.waitFor(
    async () => {
      const view = await job(as, jobId);
      if (view.state !== 'completed') throw new Error(`job ${jobId} is ${view.state}`);
      return view;
    },
    { timeout: 30_000, interval: 100 },
  );
}

beforeAll(async () => {
  await smtp.start();
  // A short lock makes the stalled check find the dead worker's job in seconds, not 30 s.
  const env = {
    REDIS_PREFIX: `${inject('redisPrefix')}faults-worker:`,
    SMTP_URL: smtp.url,
    JOB_LOCK_DURATION: '2s',
    JOB_STALLED_INTERVAL: '1s',
  };
  app = await buildTestApp({ env });
  workerEnv = testEnv({ ...env, LOG_LEVEL: 'info', WORKER_CONCURRENCY: '1' });
});
afterAll(async () => {
  await Promise.all(workers.map((worker) => worker.kill('SIGKILL')));
  await app?.close();
  await smtp.stop();
});

describe('a worker killed with SIGKILL mid-job', () => {
  it('hands an email job to another worker, and the email is sent once', async () => {
    const victim = await startWorker();
    smtp.hold();
    const user = await createUser(app);
    const jobId = emailJobId(`welcome:${user.id}`);
    // The victim holds the job (it waits for the SMTP greeting): kill it there.
    await vi.waitFor(() => expect(smtp.connections).toBeGreaterThan(0), { timeout: 15_000, interval: 50 });
    expect((await job(user, jobId)).state).toBe('active');
    await victim.kill('SIGKILL');
    smtp.release();

    const rescuer = await startWorker();
    const done = await completed(user, jobId);
    expect(done.result).toEqual({ sent: true });
    expect(smtp.received.filter((mail) => mail.to.includes(`<${user.email}>`))).toHaveLength(1);
    expect(await app.prisma.sentEmail.count({ where: { key: `welcome:${user.id}` } })).toBe(1);
    expect(rescuer.output).toMatch(/job completed/);
    await rescuer.kill('SIGTERM');
  }, 90_000);

  it('hands an import to another worker, which finishes it without inserting a row twice', async () => {
    const user = await createUser(app);
    const tag = `crash-${randomBytes(3).toString('hex')}`;
    const rowCount = 30_000;
    const csv = [
      'name,description,price,tax,tags',
      ...Array.from({ length: rowCount }, (_, i) => `Item ${i},row ${i},${(i % 100) + 1},0,${tag}`),
    ].join('\n');
    const form = multipart([{ name: 'file', filename: 'big.csv', contentType: 'text/csv', content: csv }]);

    const victim = await startWorker();
    const queued = await app.inject({
      method: 'POST',
      url: '/api/v1/items/import',
      headers: { ...user.headers, ...form.headers },
      payload: form.payload,
    });
    expect(queued.statusCode, queued.body).toBe(202);
    const { jobId } = queued.json<{ jobId: string }>();

    // Kill it once some batches are in, well before the end.
    await vi.waitFor(
      async () => {
        const inserted = await app.prisma.item.count({ where: { ownerId: user.id } });
        expect(inserted).toBeGreaterThan(0);
      },
      { timeout: 30_000, interval: 20 },
    );
    await victim.kill('SIGKILL');
    const insertedBeforeCrash = await app.prisma.item.count({ where: { ownerId: user.id } });
    expect(insertedBeforeCrash).toBeLessThan(rowCount);
    expect((await job(user, jobId)).state).toBe('active');

    const rescuer = await startWorker();
    const done = await completed(user, jobId);
    expect(done.result).toMatchObject({ inserted: rowCount, failed: 0 });
    expect(await app.prisma.item.count({ where: { ownerId: user.id } })).toBe(rowCount);
    const names = await app.prisma.item.groupBy({
      by: ['name'],
      where: { ownerId: user.id },
      _count: { _all: true },
      having: { name: { _count: { gt: 1 } } },
    });
    expect(names).toEqual([]);
    await rescuer.kill('SIGTERM');
  }, 120_000);
});
