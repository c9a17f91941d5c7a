// CSV import end to end: the api stores the upload and queues a job, a real (in-process) worker
// streams it through csv-parse against the real PostgreSQL and Redis. Good and bad rows, the
// capped error list, progress notifications, retries that never insert twice, and everything
// that must be refused up front.
import { parse } from 'csv-parse/sync';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import type { App } from '../../../src/compose/api.js';
import { userChannel } from '../../../src/infra/realtime/notifications.js';
import { ItemsImportRepository, type ImportedRow } from '../../../src/modules/imports/items-import.repository.js';
import { startWorkerRuntime, type WorkerRuntime } from '../../../src/compose/worker.js';
import { buildTestApp, problemOf, testConfig } from '../../helpers/app.js';
import { createItem } from '../../helpers/factories/items.js';
import { createUser, type TestUser } from '../../helpers/factories/users.js';
import { settledJob } from '../../helpers/jobs.js';
import { multipart, PNG } from '../files/multipart.js';

/** Fails the second batch of the first attempt for the owners listed, like a crash mid-import. */
class InterruptedRepository extends ItemsImportRepository {
  readonly interruptOwners = new Set<number>();
  private readonly batches = new Map<number, number>();

  override async insertBatch(ownerId: number, importJobId: string, rows: ImportedRow[]): Promise<number> {
    const inserted = await super.insertBatch(ownerId, importJobId, rows);
    const seen = (this.batches.get(ownerId) ?? 0) + 1;
    this.batches.set(ownerId, seen);
    if (this.interruptOwners.has(ownerId) && seen === 2) throw new Error('connection lost after the second batch');
    return inserted;
  }
}

const env = { REDIS_PREFIX: `${inject('redisPrefix')}imports:`, JOB_ATTEMPTS: '3', JOB_BACKOFF_MS: '50' };
let app: App;
let worker: WorkerRuntime;
let repository: InterruptedRepository;
let user: TestUser;

interface ImportJob {
  id: string;
  state: string;
  progress: unknown;
  attemptsMade: number;
  failedReason: string | null;
  result: {
    inserted: number;
    failed: number;
    errors: { line: number; message: string }[];
    errorsOmitted: number;
  } | null;
}

/** POSTs the CSV as `as` (anonymously without one) to `target`, this file's app by default. */
function uploadCsv(
  as: TestUser | undefined,
  content: string | Buffer,
  part: { filename?: string; contentType?: string } = {},
  target: App = app,
) {
  const form = multipart([
    { name: 'file', filename: part.filename ?? 'items.csv', contentType: part.contentType ?? 'text/csv', content },
  ]);
  return target.inject({
    method: 'POST',
    url: '/api/v1/items/import',
    headers: { ...as?.headers, ...form.headers },
    payload: form.payload,
  });
}

const finished = (as: TestUser, jobId: string) => settledJob<ImportJob>(app, as, jobId);

async function importCsv(as: TestUser, content: string): Promise<ImportJob> {
  const response = await uploadCsv(as, content);
  expect(response.statusCode, response.body).toBe(202);
  const { jobId } = response.json<{ jobId: string }>();
  expect(response.headers.location).toBe(`/api/v1/jobs/${jobId}`);
  return finished(as, jobId);
}

const rows = (count: number, make: (i: number) => string) =>
  Array.from({ length: count }, (_, i) => make(i)).join('\n');

beforeAll(async () => {
  app = await buildTestApp({ env });
  // With the pool: the SQL batch insert production uses (the Prisma one is compared below).
  repository = new InterruptedRepository(app.prisma, app.services.database.pool);
  worker = await startWorkerRuntime(testConfig(env), { overrides: { importsRepository: repository } });
  user = await createUser(app);
});
afterAll(async () => {
  await worker?.close();
  await app?.close();
});

describe('ItemsImportRepository', () => {
  it('inserts the same rows through SQL (with the pool) as through Prisma, and skips rows already there', async () => {
    const rows: ImportedRow[] = [
      { line: 2, item: { name: 'Lamp, "big"', description: 'with a comma', price: 12.5, tax: 1.25, tags: ['a', 'b'] } },
      { line: 3, item: { name: 'Plain', price: 3, tags: [] } },
    ];
    const stored = async (jobId: string) =>
      (await app.prisma.item.findMany({ where: { importJobId: jobId }, orderBy: { importLine: 'asc' } })).map((i) => ({
        name: i.name,
        description: i.description,
        price: i.price.toNumber(),
        tax: i.tax?.toNumber() ?? null,
        tags: i.tags,
        line: i.importLine,
        ownerId: i.ownerId,
        utcSeconds: Math.abs(i.createdAt.getTime() - Date.now()) < 60_000,
      }));
    const viaSql = new ItemsImportRepository(app.prisma, app.services.database.pool);
    const viaPrisma = new ItemsImportRepository(app.prisma);
    const sqlJob = `repo-sql-${Date.now()}`;
    const prismaJob = `repo-prisma-${Date.now()}`;
    expect(await viaSql.insertBatch(user.id, sqlJob, rows)).toBe(2);
    expect(await viaSql.insertBatch(user.id, sqlJob, rows)).toBe(0);
    expect(await viaPrisma.insertBatch(user.id, prismaJob, rows)).toBe(2);
    expect(await viaPrisma.insertBatch(user.id, prismaJob, rows)).toBe(0);
    expect(await stored(sqlJob)).toEqual(await stored(prismaJob));
    expect((await stored(sqlJob))[0]).toMatchObject({
      name: 'Lamp, "big"',
      price: 12.5,
      tax: 1.25,
      tags: ['a', 'b'],
      utcSeconds: true,
    });
    expect(await viaSql.countImported(sqlJob)).toBe(2);
  });
});

describe('POST /api/v1/items/import', () => {
  it('inserts the good rows, reports the bad ones by line, and notifies progress and completion', async () => {
    const owner = await createUser(app);
    const subscriber = new Redis(inject('redisUrl'));
    const events: { type: string; progress?: unknown }[] = [];
    subscriber.on('message', (_channel, message: string) => events.push(JSON.parse(message)));
    await subscriber.subscribe(userChannel(env.REDIS_PREFIX, owner.id));
    try {
      const csv = [
        'name,description,price,tax,tags',
        'Lamp,A warm light,49.90,9.48,light|office|light',
        'Broken price,,abc,,',
        '"Chair, blue","Seats ""one""",120,,furniture',
        'Too much tax,,10,11,',
        '',
        'Pen,,1.5,,',
      ].join('\n');
      const job = await importCsv(owner, csv);
      expect(job.state).toBe('completed');
      expect(job.progress).toBe(100);
      expect(job.result).toEqual({
        inserted: 3,
        failed: 2,
        errors: [
          { line: 3, message: 'price: must be a number' },
          { line: 5, message: 'tax: must not exceed price' },
        ],
        errorsOmitted: 0,
      });
      const items = await app.prisma.item.findMany({ where: { importJobId: job.id }, orderBy: { importLine: 'asc' } });
      expect(items.map((item) => [item.importLine, item.name, item.ownerId])).toEqual([
        [2, 'Lamp', owner.id],
        [4, 'Chair, blue', owner.id],
        [7, 'Pen', owner.id],
      ]);
      expect(items[0]!.tags).toEqual(['light', 'office']);
      expect(items[1]!.description).toBe('Seats "one"');
      await vi.waitFor(() => expect(events.map((event) => event.type)).toContain('job.completed'));
      expect(events.some((event) => event.type === 'job.progress')).toBe(true);
    } finally {
      subscriber.disconnect();
    }
  });

  it('reports the line a quoted multi-line record starts on, with CRLF line ends', async () => {
    const owner = await createUser(app);
    const csv = [
      'name,description,price,tax,tags',
      'Lamp,"two',
      'lines",10,,',
      '"Bad, multi","first',
      'second',
      'third",abc,,',
      '',
      'Good,,5,,',
      '"No',
      'price",,,,',
    ].join('\r\n');
    const job = await importCsv(owner, csv);
    expect(job.result).toEqual({
      inserted: 2,
      failed: 2,
      errors: [
        { line: 4, message: 'price: must be a number' },
        { line: 9, message: 'price: is required' },
      ],
      errorsOmitted: 0,
    });
    const items = await app.prisma.item.findMany({ where: { importJobId: job.id }, orderBy: { importLine: 'asc' } });
    expect(items.map((item) => [item.importLine, item.name, item.description])).toEqual([
      [2, 'Lamp', 'two\r\nlines'],
      [8, 'Good', null],
    ]);
  });

  it("imports an export back: the read-only columns are ignored, the items become the importer's", async () => {
    const tag = `roundtrip-${Date.now().toString(36)}`;
    const originals = [
      { name: 'Round, trip "one"', description: 'line one\nline two', price: 12.5, tax: 1.25, tags: [tag, 'second'] },
      { name: 'Plain', price: 3, tags: [tag] },
    ];
    for (const payload of originals) await createItem(app, user, payload);
    const exported = await app.inject({ method: 'GET', url: `/api/v1/items/export.csv?tag=${tag}&sort=name` });
    expect(exported.statusCode).toBe(200);
    expect(exported.body.split('\r\n')[0]).toBe('id,name,description,price,tax,tags,ownerId,createdAt,updatedAt');

    const importer = await createUser(app);
    const job = await importCsv(importer, exported.body);
    expect(job.result).toEqual({ inserted: 2, failed: 0, errors: [], errorsOmitted: 0 });
    const imported = await app.prisma.item.findMany({ where: { importJobId: job.id }, orderBy: { name: 'asc' } });
    const source = await app.prisma.item.findMany({
      where: { ownerId: user.id, tags: { has: tag } },
      orderBy: { name: 'asc' },
    });
    const fields = (item: (typeof imported)[number]) => [
      item.name,
      item.description,
      item.price.toFixed(2),
      item.tax?.toFixed(2) ?? null,
      item.tags,
    ];
    expect(imported.map(fields)).toEqual(source.map(fields));
    expect(imported.every((item) => item.ownerId === importer.id)).toBe(true);
    expect(source).toHaveLength(2);
    expect(imported.some((item) => source.some((original) => original.id === item.id))).toBe(false);
  });

  it('round-trips cells a spreadsheet would run as formulas: quoted in the export, restored by the import', async () => {
    const tag = `formula-${Date.now().toString(36)}`;
    const originals = [
      { name: '=HYPERLINK("http://evil.example","x")', description: '+33 1 23 45 67 89', price: 1, tags: [tag] },
      { name: '-2+3', description: '@SUM(A1:A2)', price: 2, tax: 0.5, tags: ['-dash', tag] },
      { name: '\t=tab first', description: '\r=carriage return first', price: 3, tags: [tag] },
      { name: "'=already quoted", description: "'plain quote stays", price: 4, tags: [tag] },
      { name: 'safe = inside', description: 'a-b', price: 5, tags: [tag] },
    ];
    for (const payload of originals) await createItem(app, user, payload);
    const exported = await app.inject({ method: 'GET', url: `/api/v1/items/export.csv?tag=${tag}&sort=price` });
    expect(exported.statusCode).toBe(200);
    // What a spreadsheet sees: every such text cell starts with a quote, numbers stay numbers.
    const cells = parse(exported.body, { columns: true }) as Record<string, string>[];
    expect(cells.map(({ name, description, price, tax }) => [name, description, price, tax])).toEqual([
      ['\'=HYPERLINK("http://evil.example","x")', "'+33 1 23 45 67 89", '1.00', ''],
      ["'-2+3", "'@SUM(A1:A2)", '2.00', '0.50'],
      ["'\t=tab first", "'\r=carriage return first", '3.00', ''],
      ["''=already quoted", "'plain quote stays", '4.00', ''],
      ['safe = inside', 'a-b', '5.00', ''],
    ]);
    // The tags cell starts with the `-dash` tag, so it is quoted too.
    expect(cells[1]!.tags).toBe(`'-dash|${tag}`);

    const importer = await createUser(app);
    const job = await importCsv(importer, exported.body);
    expect(job.result).toEqual({ inserted: originals.length, failed: 0, errors: [], errorsOmitted: 0 });
    const fields = (item: {
      name: string;
      description: string | null;
      price: { toFixed(n: number): string };
      tax: { toFixed(n: number): string } | null;
      tags: string[];
    }) => [item.name, item.description, item.price.toFixed(2), item.tax?.toFixed(2) ?? null, [...item.tags].sort()];
    const imported = await app.prisma.item.findMany({ where: { importJobId: job.id }, orderBy: { price: 'asc' } });
    const source = await app.prisma.item.findMany({
      where: { ownerId: user.id, tags: { has: tag } },
      orderBy: { price: 'asc' },
    });
    expect(imported.map(fields)).toEqual(source.map(fields));
    expect(imported.map((item) => item.name)).toEqual(originals.map((item) => item.name));
  });

  it('caps the error list and says how many errors were left out', async () => {
    const job = await importCsv(user, `name,price\n${rows(150, (i) => `bad ${i},-1`)}\n`);
    expect(job.result).toMatchObject({ inserted: 0, failed: 150, errorsOmitted: 50 });
    expect(job.result!.errors).toHaveLength(100);
    expect(job.result!.errors[0]).toEqual({ line: 2, message: 'price: must be > 0' });
  });

  it('accepts a header-only file (nothing to insert)', async () => {
    const job = await importCsv(user, 'name,description,price,tax,tags\n');
    expect(job.result).toEqual({ inserted: 0, failed: 0, errors: [], errorsOmitted: 0 });
  });

  it('resumes after a failure mid-import without inserting any row twice, even when re-run', async () => {
    const owner = await createUser(app);
    repository.interruptOwners.add(owner.id);
    const job = await importCsv(owner, `name,price,tags\n${rows(1200, (i) => `Bulk ${i},${(i % 50) + 1},bulk`)}\n`);
    expect(job).toMatchObject({ state: 'completed', attemptsMade: 2, result: { inserted: 1200, failed: 0 } });
    expect(await app.prisma.item.count({ where: { importJobId: job.id } })).toBe(1200);

    const queued = await app.services.queues.queues.imports.getJob(job.id);
    await queued!.retry('completed');
    await vi.waitFor(async () => expect((await finished(owner, job.id)).attemptsMade).toBeGreaterThan(2), {
      timeout: 20_000,
      interval: 50,
    });
    expect((await finished(owner, job.id)).result).toMatchObject({ inserted: 1200 });
    expect(await app.prisma.item.count({ where: { importJobId: job.id } })).toBe(1200);
    expect(await app.prisma.item.count({ where: { ownerId: owner.id } })).toBe(1200);
  });

  it('fails a malformed CSV for good on the first attempt', async () => {
    const job = await importCsv(user, 'name,price\n"unclosed,1\n');
    expect(job).toMatchObject({ state: 'failed', attemptsMade: 1 });
    expect(job.failedReason).toMatch(/^Invalid CSV/);
  });

  it('refuses what is not a CSV up front (415), a bad header (422), and keeps nothing', async () => {
    const before = await app.prisma.file.count({ where: { ownerId: user.id } });
    const png = await uploadCsv(user, PNG, { filename: 'photo.png', contentType: 'image/png' });
    expect(png.statusCode).toBe(415);
    expect(problemOf(png).status).toBe(415);
    const binary = await uploadCsv(user, Buffer.from([0x6e, 0x61, 0x6d, 0x65, 0x00, 0x01, 0x02]), {
      filename: 'fake.csv',
    });
    expect(binary.statusCode).toBe(415);
    const header = await uploadCsv(user, 'title,cost\nLamp,10\n');
    expect(header.statusCode).toBe(422);
    expect(problemOf(header).errors).toEqual([
      { path: '/body/file', message: expect.stringContaining('missing: name, price') },
    ]);
    const unknown = await uploadCsv(user, 'name,price,colour\nLamp,10,red\n');
    expect(unknown.statusCode).toBe(422);
    expect(problemOf(unknown).errors?.[0]?.message).toMatch(/^unknown columns: colour /);
    const empty = await uploadCsv(user, '');
    expect(empty.statusCode).toBe(422);
    const json = await app.inject({
      method: 'POST',
      url: '/api/v1/items/import',
      headers: user.headers,
      payload: { name: 'x' },
    });
    expect(json.statusCode).toBe(415);
    const noFile = multipart([{ name: 'comment', content: 'no file here' }]);
    const missing = await app.inject({
      method: 'POST',
      url: '/api/v1/items/import',
      headers: { ...user.headers, ...noFile.headers },
      payload: noFile.payload,
    });
    expect(missing.statusCode).toBe(422);
    expect(await app.prisma.file.count({ where: { ownerId: user.id } })).toBe(before);
  });

  it('needs authentication', async () => {
    const response = await uploadCsv(undefined, 'name,price\nA,1\n');
    expect(response.statusCode).toBe(401);
  });

  it('answers 503 when the queue is unavailable, and keeps nothing', async () => {
    const down = await buildTestApp({ env: { ...env, REDIS_URL: 'redis://127.0.0.1:1' } });
    try {
      const before = await app.prisma.file.count({ where: { ownerId: user.id } });
      const response = await uploadCsv(user, 'name,price\nA,1\n', {}, down);
      expect(response.statusCode).toBe(503);
      expect(problemOf(response).detail).toBe('The job queue is unavailable, try again later');
      expect(await app.prisma.file.count({ where: { ownerId: user.id } })).toBe(before);
    } finally {
      await down.close();
    }
  });
});
