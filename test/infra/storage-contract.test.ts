// One contract for every storage adapter: the same tests run against local disk and against
// S3 (the real SDK over HTTP to s3rver), so the services behave the same on either driver.
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { buffer, text } from 'node:stream/consumers';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { LocalDiskStorage } from '../../src/infra/storage/local-disk-storage.js';
import { createS3Client, S3Storage } from '../../src/infra/storage/s3-storage.js';
import { StorageLimitExceededError, StorageNotFoundError, type Storage } from '../../src/infra/storage/storage.js';
import { startS3Server, type TestS3Server } from '../helpers/s3-server.js';

interface Adapter {
  open(options?: { maxBytes?: number }): Storage;
  /** Everything the store holds, complete or not (files, objects, multipart parts). */
  leftovers(): Promise<string[]>;
  /** A store of this kind that cannot work (unwritable root, missing bucket). */
  broken(): Storage;
}

let root: string;
const localDisk: Adapter = {
  open: (options) => new LocalDiskStorage({ root, ...options }),
  async leftovers() {
    const entries = await readdir(root, { recursive: true, withFileTypes: true }).catch(() => []);
    return entries.filter((e) => e.isFile()).map((e) => e.name);
  },
  broken: () => new LocalDiskStorage({ root: join(root, 'a-file', 'below') }),
};

let s3: TestS3Server;
const openS3 = (options?: { maxBytes?: number }) =>
  new S3Storage({ client: createS3Client(s3.settings), bucket: s3.bucket, ...options });
const s3Adapter: Adapter = {
  open: openS3,
  async leftovers() {
    const objects: string[] = [];
    for await (const object of s3Adapter.open().list({ olderThan: new Date(Date.now() + 60_000) })) {
      objects.push(object.key);
    }
    return [...objects, ...(await s3.pendingUploads()).map((id) => `upload ${id}`)];
  },
  broken: () => new S3Storage({ client: createS3Client(s3.settings), bucket: 'no-such-bucket' }),
};

beforeAll(async () => {
  s3 = await startS3Server();
});
afterAll(() => s3.close());

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'storage-test-'));
  await writeFile(join(root, 'a-file'), '');
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
  // Each test starts from an empty bucket, as each starts from an empty directory.
  const storage = s3Adapter.open();
  for await (const object of storage.list({ olderThan: new Date(Date.now() + 60_000) }))
    await storage.delete(object.key);
});

const MiB = 1024 * 1024;

describe.each([
  ['local disk', localDisk],
  ['S3', s3Adapter],
])('storage contract: %s', (_name, adapter) => {
  const leftovers = async () => (await adapter.leftovers()).filter((name) => name !== 'a-file');

  it('stores a stream under a generated key with its size and sha256, and reads it back', async () => {
    const storage = adapter.open();
    const body = 'hello, storage';
    const stored = await storage.put(Readable.from([Buffer.from('hello, '), Buffer.from('storage')]));
    expect(stored.key).toMatch(/^[0-9a-f-]{36}$/);
    expect(stored.size).toBe(body.length);
    expect(stored.sha256).toBe(createHash('sha256').update(body).digest('hex'));
    expect(await text(await storage.get(stored.key))).toBe(body);
    expect(await storage.stat(stored.key)).toMatchObject({ key: stored.key, size: body.length });
    expect(await leftovers()).toEqual([stored.key]);
  });

  it('stores an empty stream', async () => {
    const storage = adapter.open();
    const stored = await storage.put(Readable.from([]));
    expect(stored).toMatchObject({ size: 0, sha256: createHash('sha256').digest('hex') });
    expect((await buffer(await storage.get(stored.key))).length).toBe(0);
  });

  it('reads an inclusive byte range', async () => {
    const storage = adapter.open();
    const { key } = await storage.put(Readable.from([Buffer.from('0123456789')]));
    expect(await text(await storage.get(key, { start: 0, end: 0 }))).toBe('0');
    expect(await text(await storage.get(key, { start: 3, end: 6 }))).toBe('3456');
    expect(await text(await storage.get(key, { start: 9, end: 9 }))).toBe('9');
  });

  it('streams a multi-part object (larger than one S3 part) intact, and a range across parts', async () => {
    const storage = adapter.open();
    const bytes = Buffer.alloc(11 * MiB);
    for (let i = 0; i < bytes.length; i += 4096) bytes.writeUInt32BE(i, i);
    const chunks = Array.from({ length: 11 * 16 }, (_, i) => bytes.subarray(i * 64 * 1024, (i + 1) * 64 * 1024));
    const stored = await storage.put(Readable.from(chunks));
    expect(stored.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
    expect(await storage.stat(stored.key)).toMatchObject({ size: bytes.length });
    const range = { start: 5 * MiB - 10, end: 5 * MiB + 9 };
    expect(await buffer(await storage.get(stored.key, range))).toEqual(bytes.subarray(range.start, range.end + 1));
  });

  it('aborts a write over the limit and leaves nothing behind', async () => {
    const chunks = Array.from({ length: 10 }, () => Buffer.alloc(100, 1));
    await expect(adapter.open().put(Readable.from(chunks), { maxBytes: 999 })).rejects.toBeInstanceOf(
      StorageLimitExceededError,
    );
    expect(await leftovers()).toEqual([]);
  });

  it('aborts a write that passes the limit after several parts were stored, and leaves no part behind', async () => {
    const chunks = Array.from({ length: 13 }, () => Buffer.alloc(MiB, 2));
    await expect(adapter.open().put(Readable.from(chunks), { maxBytes: 12 * MiB })).rejects.toBeInstanceOf(
      StorageLimitExceededError,
    );
    expect(await leftovers()).toEqual([]);
  });

  it('accepts exactly the limit', async () => {
    const stored = await adapter.open().put(Readable.from([Buffer.alloc(1000)]), { maxBytes: 1000 });
    expect(stored.size).toBe(1000);
  });

  it('uses the default limit of the adapter when the call gives none', async () => {
    const limited = adapter.open({ maxBytes: 10 });
    await expect(limited.put(Readable.from([Buffer.alloc(11)]))).rejects.toBeInstanceOf(StorageLimitExceededError);
    expect(await leftovers()).toEqual([]);
  });

  it('leaves nothing behind when the source fails midway', async () => {
    async function* failing() {
      yield Buffer.alloc(6 * MiB);
      throw new Error('client went away');
    }
    await expect(adapter.open().put(failing())).rejects.toThrow('client went away');
    expect(await leftovers()).toEqual([]);
  });

  it('leaves nothing behind when the write is aborted', async () => {
    const controller = new AbortController();
    async function* slow() {
      yield Buffer.alloc(100);
      controller.abort();
      yield Buffer.alloc(100);
    }
    await expect(adapter.open().put(slow(), { signal: controller.signal })).rejects.toThrow();
    expect(await leftovers()).toEqual([]);
  });

  it('keeps concurrent writers apart: each gets its own key and its own bytes back', async () => {
    const storage = adapter.open();
    const bodies = Array.from({ length: 8 }, (_, i) => Buffer.alloc(64 * 1024 + i, i));
    const stored = await Promise.all(bodies.map((body) => storage.put(Readable.from([body]))));
    expect(new Set(stored.map((s) => s.key)).size).toBe(bodies.length);
    for (const [i, object] of stored.entries()) expect(await buffer(await storage.get(object.key))).toEqual(bodies[i]);
  });

  it('refuses keys it did not generate, so no path or other object can be named', async () => {
    const storage = adapter.open();
    const names = ['../../etc/passwd', '/etc/passwd', 'objects/../../x', '', 'A'.repeat(36), 'a/b/c', '%2e%2e%2f'];
    for (const key of names) {
      await expect(storage.get(key)).rejects.toBeInstanceOf(StorageNotFoundError);
      await expect(storage.delete(key)).rejects.toBeInstanceOf(StorageNotFoundError);
    }
  });

  it('reports missing objects: get rejects, stat is null, delete is idempotent', async () => {
    const storage = adapter.open();
    const key = '00000000-0000-4000-8000-000000000000';
    await expect(storage.get(key)).rejects.toBeInstanceOf(StorageNotFoundError);
    expect(await storage.stat(key)).toBeNull();
    await expect(storage.delete(key)).resolves.toBeUndefined();
  });

  it('deletes an object', async () => {
    const storage = adapter.open();
    const { key } = await storage.put(Readable.from([Buffer.from('x')]));
    await storage.delete(key);
    expect(await storage.stat(key)).toBeNull();
    expect(await leftovers()).toEqual([]);
  });

  it('lists the objects last modified before a date', async () => {
    const storage = adapter.open();
    const a = await storage.put(Readable.from([Buffer.from('a')]));
    const b = await storage.put(Readable.from([Buffer.from('bb')]));
    const listed = [];
    for await (const object of storage.list({ olderThan: new Date(Date.now() + 5_000) })) listed.push(object);
    expect(listed.map((o) => o.key).sort()).toEqual([a.key, b.key].sort());
    expect(listed.find((o) => o.key === b.key)).toMatchObject({ size: 2, modifiedAt: expect.any(Date) });
    const older = [];
    for await (const object of storage.list({ olderThan: new Date(Date.now() - 60_000) })) older.push(object);
    expect(older).toEqual([]);
  });

  it('answers the readiness check, and fails it when the store cannot be used', async () => {
    await expect(adapter.open().check()).resolves.toBeUndefined();
    await expect(adapter.broken().check()).rejects.toThrow();
  });
});

describe('S3 adapter specifics', () => {
  it('sends AbortMultipartUpload for an upload cut over the limit', async () => {
    const before = s3.aborted.length;
    const chunks = Array.from({ length: 13 }, () => Buffer.alloc(MiB, 3));
    await expect(s3Adapter.open().put(Readable.from(chunks), { maxBytes: 12 * MiB })).rejects.toBeInstanceOf(
      StorageLimitExceededError,
    );
    expect(s3.aborted.length).toBe(before + 1);
    expect(await s3.pendingUploads()).toEqual([]);
  });

  it('rejects with the error of the store when it refuses the upload, whatever the size', async () => {
    const broken = new S3Storage({ client: createS3Client(s3.settings), bucket: 'no-such-bucket' });
    const chunks = Array.from({ length: 24 }, () => Buffer.alloc(MiB, 4));
    await expect(broken.put(Readable.from(chunks))).rejects.toMatchObject({ name: 'NoSuchBucket' });
    await expect(broken.put(Readable.from([Buffer.from('small')]))).rejects.toMatchObject({ name: 'NoSuchBucket' });
  });

  it('hands out a short-lived presigned URL that serves the object with the given headers', async () => {
    const storage = openS3();
    const { key } = await storage.put(Readable.from([Buffer.from('signed bytes')]));
    const url = await storage.signedDownloadUrl(key, {
      expiresInSeconds: 60,
      contentDisposition: 'attachment; filename="a.txt"',
      contentType: 'text/plain',
    });
    const response = await fetch(url);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-disposition')).toBe('attachment; filename="a.txt"');
    expect(await response.text()).toBe('signed bytes');
    const signed = new URL(url);
    expect(signed.pathname).toBe(`/${s3.bucket}/${key}`);
    expect(signed.searchParams.get('X-Amz-Expires')).toBe('60');
    expect(signed.searchParams.get('X-Amz-Signature')).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('local disk specifics', () => {
  it('sweeps temporary files older than the threshold only', async () => {
    const { mkdir, utimes } = await import('node:fs/promises');
    const storage = new LocalDiskStorage({ root });
    await mkdir(join(root, 'tmp'), { recursive: true });
    const old = join(root, 'tmp', 'old.part');
    await writeFile(old, 'x');
    const past = new Date(Date.now() - 2 * 60 * 60 * 1000);
    await utimes(old, past, past);
    await writeFile(join(root, 'tmp', 'fresh.part'), 'y');
    expect(await storage.sweepTemporaryFiles()).toBe(1);
    expect(await readdir(join(root, 'tmp'))).toEqual(['fresh.part']);
    expect(await new LocalDiskStorage({ root: join(root, 'nowhere') }).sweepTemporaryFiles()).toBe(0);
  });
});
