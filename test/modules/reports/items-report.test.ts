// The items-per-tag report: queued by an admin, written by a real (in-process) worker through
// the storage port as the admin's file, downloadable, and never written twice for one job.
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import type { App } from '../../../src/compose/api.js';
import { LocalDiskStorage } from '../../../src/infra/storage/local-disk-storage.js';
import { FilesRepository } from '../../../src/modules/files/files.repository.js';
import type { FileRecord } from '../../../src/modules/files/files.schemas.js';
import { ReportsRepository } from '../../../src/modules/reports/reports.repository.js';
import { startWorkerRuntime, type WorkerRuntime } from '../../../src/compose/worker.js';
import {
  ItemsReportProcessor,
  reportFileId,
  type ReportJob,
  type ReportJobData,
} from '../../../src/modules/reports/items-report.processor.js';
import { buildTestApp, problemOf, testConfig } from '../../helpers/app.js';
import { createItem } from '../../helpers/factories/items.js';
import { createAdmin, createUser, type TestUser } from '../../helpers/factories/users.js';
import { settledJob } from '../../helpers/jobs.js';

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

const finished = (as: TestUser, jobId: string) => settledJob<Job>(app, as, jobId);

beforeAll(async () => {
  app = await buildTestApp({ env });
  worker = await startWorkerRuntime(testConfig(env), { queues: ['reports'] });
  [admin, user] = await Promise.all([createAdmin(app), createUser(app)]);
});
afterAll(async () => {
  await worker?.close();
  await app?.close();
});

describe('POST /api/v1/reports/items', () => {
  it('writes a per-tag CSV the admin can download', async () => {
    const tag = `rpt-${randomBytes(4).toString('hex')}`;
    // A valid tag a spreadsheet would read as a formula (`-x`): its cell gets a quote.
    const dashTag = `-rpt-${randomBytes(4).toString('hex')}`;
    for (const [price, tags] of [
      [10, [tag]],
      [20, [tag, 'other']],
      [5, ['other']],
      [7, [dashTag]],
    ] as const) {
      await createItem(app, user, { name: 'Reported', price, tags });
    }

    const response = await app.inject({ method: 'POST', url: '/api/v1/reports/items', headers: admin.headers });
    expect(response.statusCode).toBe(202);
    const { jobId } = response.json<{ jobId: string }>();
    expect(response.headers.location).toBe(`/api/v1/jobs/${jobId}`);
    const job = await finished(admin, jobId);
    expect(job.state).toBe('completed');
    const { fileId } = job.result!;

    const file = await app.inject({ method: 'GET', url: `/api/v1/files/${fileId}`, headers: admin.headers });
    expect(file.json()).toMatchObject({
      ownerId: admin.id,
      contentType: 'text/csv',
      filename: expect.stringMatching(/^items-by-tag-\d{4}-\d{2}-\d{2}\.csv$/),
    });
    const download = await app.inject({
      method: 'GET',
      url: `/api/v1/files/${fileId}/content`,
      headers: admin.headers,
    });
    expect(download.statusCode).toBe(200);
    const lines = download.body.trim().split('\n');
    expect(lines[0]).toBe('tag,count,average_price');
    expect(lines).toContain(`${tag},2,15.00`);
    expect(lines).toContain(`'${dashTag},1,7.00`);
    expect(lines.some((line) => /^[-=+@\t\r]/.test(line))).toBe(false);
    // Someone else's file does not exist for them.
    expect(
      (await app.inject({ method: 'GET', url: `/api/v1/files/${fileId}/content`, headers: user.headers })).statusCode,
    ).toBe(404);
  });

  it('hands back the same file when the job runs again', async () => {
    const response = await app.inject({ method: 'POST', url: '/api/v1/reports/items', headers: admin.headers });
    const { jobId } = response.json<{ jobId: string }>();
    const first = await finished(admin, jobId);
    const filesBefore = await app.prisma.file.count({ where: { ownerId: admin.id } });
    await (await app.services.queues.queues.reports.getJob(jobId))!.retry('completed');
    await vi.waitFor(
      async () => expect((await finished(admin, jobId)).attemptsMade).toBeGreaterThan(first.attemptsMade),
      { timeout: 20_000, interval: 50 },
    );
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

describe('ItemsReportProcessor after a crash', () => {
  let root: string;
  let storage: LocalDiskStorage;
  const processor = (files: FilesRepository = app.services.files.repository) =>
    new ItemsReportProcessor({ storage, files, reports: new ReportsRepository(app.prisma) });
  const storedObjects = async () =>
    (await readdir(join(root, 'objects'), { recursive: true, withFileTypes: true }).catch(() => [])).filter((entry) =>
      entry.isFile(),
    ).length;
  const rowsOf = (jobId: string) => app.prisma.file.findMany({ where: { id: reportFileId(jobId) } });

  /** A job whose data persists across runs, like a BullMQ job's; `crash` refuses an update. */
  function reportJob(crash: (data: ReportJobData) => boolean = () => false, id = `report-${randomUUID()}`): ReportJob {
    const job: ReportJob = {
      id,
      data: { ownerId: admin.id },
      async updateData(data) {
        if (crash(data)) throw new Error('worker died');
        job.data = data;
      },
      async updateProgress() {},
    };
    return job;
  }

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'reports-'));
    storage = new LocalDiskStorage({ root, maxBytes: 1 << 20 });
  });
  afterAll(() => rm(root, { recursive: true, force: true }));

  it('finds the file a run created before it could record its id, instead of writing a second one', async () => {
    let crashes = 1;
    const job = reportJob((data) => data.fileId !== undefined && crashes-- > 0);
    const objectsBefore = await storedObjects();
    await expect(processor().process(job)).rejects.toThrow('worker died');
    expect(await rowsOf(job.id!)).toHaveLength(1);
    const filesBefore = await app.prisma.file.count({ where: { ownerId: admin.id } });

    const { fileId } = await processor().process(job);
    expect(fileId).toBe(reportFileId(job.id!));
    expect(job.data).toEqual({ ownerId: admin.id, fileId });
    expect(await app.prisma.file.count({ where: { ownerId: admin.id } })).toBe(filesBefore);
    expect(await storedObjects()).toBe(objectsBefore + 1);
  });

  it('uses the bytes a run stored before it died without a row, leaving none unreferenced', async () => {
    class DyingFiles extends FilesRepository {
      override createIfAbsent(): Promise<FileRecord> {
        return new Promise(() => {}); // the process is gone: this never settles
      }
    }
    const job = reportJob();
    const objectsBefore = await storedObjects();
    void processor(new DyingFiles(app.prisma)).process(job);
    await vi.waitFor(() => expect(job.data.stored).toBeDefined());
    const firstBytes = job.data.stored!.key;

    const { fileId } = await processor().process(job);
    const rows = await rowsOf(job.id!);
    expect(rows).toMatchObject([{ id: fileId, storageKey: firstBytes, ownerId: admin.id }]);
    expect(await storedObjects()).toBe(objectsBefore + 1);
    expect(job.data).toEqual({ ownerId: admin.id, fileId });
  });

  it('ends with one file and one copy of the bytes when two runs of a job race', async () => {
    const first = reportJob();
    const second = reportJob(undefined, first.id);
    const objectsBefore = await storedObjects();
    const results = await Promise.all([processor().process(first), processor().process(second)]);
    expect(results[0]).toEqual(results[1]);
    expect(await rowsOf(first.id!)).toHaveLength(1);
    expect(await storedObjects()).toBe(objectsBefore + 1);
  });
});
