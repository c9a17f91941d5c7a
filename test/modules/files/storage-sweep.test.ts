// The storage sweep keeps rows and bytes in step, both ways, on both drivers: bytes no row
// points at are deleted once past the grace period; rows whose bytes are gone are marked and
// reported. The worker registers it as a repeatable job (one scheduler, however many workers).
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { Queue, QueueEvents } from 'bullmq';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { App } from '../../../src/compose/api.js';
import { startWorkerRuntime } from '../../../src/compose/worker.js';
import { bullPrefix } from '../../../src/infra/queues/definitions.js';
import { LocalDiskStorage } from '../../../src/infra/storage/local-disk-storage.js';
import { createS3Client, S3Storage } from '../../../src/infra/storage/s3-storage.js';
import type { Storage } from '../../../src/infra/storage/storage.js';
import { StorageSweepProcessor } from '../../../src/modules/files/storage-sweep.processor.js';
import { StorageSweepRepository } from '../../../src/modules/files/storage-sweep.repository.js';
import type { Logger } from '../../../src/lib/logger.js';
import { buildTestApp, testConfig } from '../../helpers/app.js';
import { createUser, type TestUser } from '../../helpers/factories/users.js';
import { startS3Server, type TestS3Server } from '../../helpers/s3-server.js';

const HOUR = 3600_000;
const silent: Logger = { info() {}, warn() {}, error() {}, debug() {} };

let app: App;
let owner: TestUser;
let root: string;
let s3: TestS3Server;

beforeAll(async () => {
  [app, s3, root] = await Promise.all([buildTestApp(), startS3Server(), mkdtemp(join(tmpdir(), 'sweep-'))]);
  owner = await createUser(app);
});
afterAll(async () => {
  await app.close();
  await s3.close();
  await rm(root, { recursive: true, force: true });
});

async function put(storage: Storage, text: string) {
  return storage.put(Readable.from([Buffer.from(text)]));
}

async function rowFor(object: { key: string; size: number; sha256: string }) {
  return app.prisma.file.create({
    data: {
      ownerId: owner.id,
      filename: 'kept.txt',
      contentType: 'text/plain',
      size: BigInt(object.size),
      sha256: object.sha256,
      storageKey: object.key,
      // As old as the objects the sweep is told are past the grace period.
      createdAt: new Date(Date.now() - 2 * HOUR),
    },
  });
}

describe.each([
  ['local disk', () => new LocalDiskStorage({ root: join(root, randomUUID()) })],
  ['S3', () => new S3Storage({ client: createS3Client(s3.settings), bucket: s3.bucket }) as Storage],
])('storage sweep: %s', (_name, open) => {
  it('deletes objects no row points at once past the grace period, and keeps the others', async () => {
    const storage = open();
    const sweep = new StorageSweepProcessor({
      storage,
      repository: new StorageSweepRepository(app.prisma),
      log: silent,
      graceMs: HOUR,
    });
    const orphan = await put(storage, 'a crash came between the bytes and the row');
    const kept = await put(storage, 'a file');
    await rowFor(kept);

    // Now: the orphan is younger than the grace period (its row may be on its way).
    await sweep.run();
    expect(await storage.stat(orphan.key)).not.toBeNull();

    // Two hours later, as far as the sweep can tell.
    const result = await sweep.run(new Date(Date.now() + 2 * HOUR));
    expect(result.orphansDeleted).toBe(1);
    expect(await storage.stat(orphan.key)).toBeNull();
    expect(await storage.stat(kept.key)).not.toBeNull();
  });

  it('marks and reports rows whose object is missing, once; rows with their object stay unmarked', async () => {
    const storage = open();
    const errors: unknown[] = [];
    const sweep = new StorageSweepProcessor({
      storage,
      repository: new StorageSweepRepository(app.prisma),
      log: { ...silent, error: (fields: unknown) => void errors.push(fields) },
      graceMs: HOUR,
    });
    const lost = await put(storage, 'bytes that will go missing');
    const intact = await put(storage, 'bytes that stay');
    const [lostRow, intactRow] = [await rowFor(lost), await rowFor(intact)];
    await storage.delete(lost.key);

    const first = await sweep.run();
    expect(first.missingFileIds).toContain(lostRow.id);
    expect(first.missingFileIds).not.toContain(intactRow.id);
    const rows = await app.prisma.file.findMany({ where: { id: { in: [lostRow.id, intactRow.id] } } });
    expect(rows.find((r) => r.id === lostRow.id)?.objectMissingAt).toBeInstanceOf(Date);
    expect(rows.find((r) => r.id === intactRow.id)?.objectMissingAt).toBeNull();
    expect(errors).toContainEqual(expect.objectContaining({ fileIds: expect.arrayContaining([lostRow.id]) }));

    // Marked rows are not reported again: the report is about what changed.
    expect((await sweep.run()).missingFileIds).not.toContain(lostRow.id);
  });
});

describe('the storage queue', () => {
  it('gets one repeatable sweep however many workers serve it, and the sweep runs as a job', async () => {
    const config = testConfig({ REDIS_PREFIX: `${inject('redisPrefix')}sweep:` });
    const workers = await Promise.all([1, 2].map(() => startWorkerRuntime(config, { queues: ['storage'] })));
    const options = { connection: { url: config.redisUrl }, prefix: bullPrefix(config) };
    const queue = new Queue('storage', options);
    const events = new QueueEvents('storage', options);
    await events.waitUntilReady();
    try {
      const schedulers = await queue.getJobSchedulers();
      expect(schedulers).toMatchObject([{ key: 'storage-sweep', name: 'sweep', every: HOUR }]);
      const job = await queue.add('sweep', { ownerId: null });
      const done = await job.waitUntilFinished(
        new (await import('bullmq')).QueueEvents('storage', {
          connection: { url: config.redisUrl },
          prefix: bullPrefix(config),
        }),
        15_000,
      );
      expect(done).toMatchObject({ orphansDeleted: expect.any(Number), missingMarked: expect.any(Number) });
    } finally {
      await queue.obliterate({ force: true });
      await Promise.all([queue.close(), events.close()]);
      await Promise.all(workers.map((worker) => worker.close()));
    }
  });
});
