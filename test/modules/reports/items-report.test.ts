// The items-per-tag report: queued by an admin, written by a real (in-process) worker through
// the storage port as the admin's file, downloadable, and never written twice for one job.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import type { App } from '../../../src/app.js';
import { startWorkerRuntime, type WorkerRuntime } from '../../../src/modules/jobs/worker-runtime.js';
import { buildTestApp, createUser, problemOf, testConfig, type TestUser } from '../../helpers/app.js';

const env = { REDIS_PREFIX: `${inject('redisPrefix')}reports:`, JOB_BACKOFF_MS: '50' };
let app: App;
let worker: WorkerRuntime;
let admin: TestUser;
let user: TestUser;

interface Job {
  id: string;
  state: string;
  result: { fileId: string } | null;
  attemptsMade: number;
}

async function finished(as: TestUser, jobId: string): Promise<Job> {
  return vi.waitFor(
    async () => {
      const job = (await app.inject({ method: 'GET', url: `/api/v1/jobs/${jobId}`, headers: as.headers })).json<Job>();
      if (!['completed', 'failed'].includes(job.state)) throw new Error(`still ${job.state}`);
      return job;
    },
    { timeout: 20_000, interval: 50 },
  );
}

beforeAll(async () => {
  app = await buildTestApp({ env });
  worker = await startWorkerRuntime(testConfig(env), { queues: ['reports'] });
  [admin, user] = await Promise.all([createUser(app, { role: 'ADMIN' }), createUser(app)]);
});
afterAll(async () => {
  await worker?.close();
  await app?.close();
});

describe('POST /api/v1/reports/items', () => {
  it('writes a per-tag CSV the admin can download', async () => {
    const tag = `rpt-${randomBytes(4).toString('hex')}`;
    for (const [price, tags] of [[10, [tag]], [20, [tag, 'other']], [5, ['other']]] as const) {
      const created = await app.inject({ method: 'POST', url: '/api/v1/items', headers: user.headers, payload: { name: 'Reported', price, tags } });
      expect(created.statusCode).toBe(201);
    }

    const response = await app.inject({ method: 'POST', url: '/api/v1/reports/items', headers: admin.headers });
    expect(response.statusCode).toBe(202);
    const { jobId } = response.json<{ jobId: string }>();
    expect(response.headers.location).toBe(`/api/v1/jobs/${jobId}`);
    const job = await finished(admin, jobId);
    expect(job.state).toBe('completed');
    const { fileId } = job.result!;

    const file = await app.inject({ method: 'GET', url: `/api/v1/files/${fileId}`, headers: admin.headers });
    expect(file.json()).toMatchObject({ ownerId: admin.id, contentType: 'text/csv', filename: expect.stringMatching(/^items-by-tag-\d{4}-\d{2}-\d{2}\.csv$/) });
    const download = await app.inject({ method: 'GET', url: `/api/v1/files/${fileId}/content`, headers: admin.headers });
    expect(download.statusCode).toBe(200);
    const lines = download.body.trim().split('\n');
    expect(lines[0]).toBe('tag,count,average_price');
    expect(lines).toContain(`${tag},2,15.00`);
    // Someone else's file does not exist for them.
    expect((await app.inject({ method: 'GET', url: `/api/v1/files/${fileId}/content`, headers: user.headers })).statusCode).toBe(404);
  });

  it('hands back the same file when the job runs again', async () => {
    const response = await app.inject({ method: 'POST', url: '/api/v1/reports/items', headers: admin.headers });
    const { jobId } = response.json<{ jobId: string }>();
    const first = await finished(admin, jobId);
    const filesBefore = await app.prisma.file.count({ where: { ownerId: admin.id } });
    await (await app.queues.queues.reports.getJob(jobId))!.retry('completed');
    await vi.waitFor(async () => expect((await finished(admin, jobId)).attemptsMade).toBeGreaterThan(first.attemptsMade), { timeout: 20_000, interval: 50 });
    expect((await finished(admin, jobId)).result).toEqual(first.result);
    expect(await app.prisma.file.count({ where: { ownerId: admin.id } })).toBe(filesBefore);
  });

  it('is for admins only', async () => {
    const forbidden = await app.inject({ method: 'POST', url: '/api/v1/reports/items', headers: user.headers });
    expect(forbidden.statusCode).toBe(403);
    expect(problemOf(forbidden).status).toBe(403);
    expect((await app.inject({ method: 'POST', url: '/api/v1/reports/items' })).statusCode).toBe(401);
  });
});
