import { createHash } from 'node:crypto';
import { mkdtemp, readdir, rm, writeFile, utimes, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocalDiskStorage } from '../../src/infra/storage/local-disk-storage.js';
import { StorageLimitExceededError, StorageNotFoundError } from '../../src/infra/storage/storage.js';

let root: string;
let storage: LocalDiskStorage;

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isFile()).map((e) => e.name);
}

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'storage-test-'));
  storage = new LocalDiskStorage({ root });
});
afterEach(() => rm(root, { recursive: true, force: true }));

describe('LocalDiskStorage', () => {
  it('stores a stream under a generated key with its size and sha256, and reads it back', async () => {
    const body = 'hello, storage';
    const stored = await storage.put(Readable.from([Buffer.from('hello, '), Buffer.from('storage')]));
    expect(stored.key).toMatch(/^[0-9a-f-]{36}$/);
    expect(stored.size).toBe(body.length);
    expect(stored.sha256).toBe(createHash('sha256').update(body).digest('hex'));
    expect(await text(await storage.get(stored.key))).toBe(body);
    expect(await storage.stat(stored.key)).toMatchObject({ key: stored.key, size: body.length });
    expect(await filesUnder(join(root, 'tmp'))).toEqual([]);
  });

  it('reads an inclusive byte range', async () => {
    const { key } = await storage.put(Readable.from([Buffer.from('0123456789')]));
    expect(await text(await storage.get(key, { start: 0, end: 0 }))).toBe('0');
    expect(await text(await storage.get(key, { start: 3, end: 6 }))).toBe('3456');
    expect(await text(await storage.get(key, { start: 9, end: 9 }))).toBe('9');
  });

  it('aborts a write over the limit and leaves no file, temporary or final', async () => {
    const chunks = Array.from({ length: 10 }, () => Buffer.alloc(100, 1));
    await expect(storage.put(Readable.from(chunks), { maxBytes: 999 })).rejects.toBeInstanceOf(
      StorageLimitExceededError,
    );
    expect(await filesUnder(root)).toEqual([]);
  });

  it('accepts exactly the limit', async () => {
    const stored = await storage.put(Readable.from([Buffer.alloc(1000)]), { maxBytes: 1000 });
    expect(stored.size).toBe(1000);
  });

  it('uses the default limit of the adapter when the call gives none', async () => {
    const limited = new LocalDiskStorage({ root, maxBytes: 10 });
    await expect(limited.put(Readable.from([Buffer.alloc(11)]))).rejects.toBeInstanceOf(StorageLimitExceededError);
    expect(await filesUnder(root)).toEqual([]);
  });

  it('leaves nothing behind when the source fails midway', async () => {
    async function* failing() {
      yield Buffer.alloc(100);
      throw new Error('client went away');
    }
    await expect(storage.put(failing())).rejects.toThrow('client went away');
    expect(await filesUnder(root)).toEqual([]);
  });

  it('leaves nothing behind when the write is aborted', async () => {
    const controller = new AbortController();
    async function* slow() {
      yield Buffer.alloc(100);
      controller.abort();
      yield Buffer.alloc(100);
    }
    await expect(storage.put(slow(), { signal: controller.signal })).rejects.toThrow();
    expect(await filesUnder(root)).toEqual([]);
  });

  it('refuses keys it did not generate, so no path can be named (traversal)', async () => {
    for (const key of ['../../etc/passwd', '/etc/passwd', 'objects/../../x', '', 'A'.repeat(36)]) {
      await expect(storage.get(key)).rejects.toBeInstanceOf(StorageNotFoundError);
    }
    await expect(storage.delete('../outside')).rejects.toBeInstanceOf(StorageNotFoundError);
  });

  it('reports missing objects: get rejects, stat is null, delete is idempotent', async () => {
    const key = '00000000-0000-4000-8000-000000000000';
    await expect(storage.get(key)).rejects.toBeInstanceOf(StorageNotFoundError);
    expect(await storage.stat(key)).toBeNull();
    await expect(storage.delete(key)).resolves.toBeUndefined();
  });

  it('deletes an object', async () => {
    const { key } = await storage.put(Readable.from([Buffer.from('x')]));
    await storage.delete(key);
    expect(await storage.stat(key)).toBeNull();
    expect(await filesUnder(root)).toEqual([]);
  });

  it('sweeps temporary files older than the threshold only', async () => {
    await mkdir(join(root, 'tmp'), { recursive: true });
    const old = join(root, 'tmp', 'old.part');
    await writeFile(old, 'x');
    const past = new Date(Date.now() - 2 * 60 * 60 * 1000);
    await utimes(old, past, past);
    await writeFile(join(root, 'tmp', 'fresh.part'), 'y');
    expect(await storage.sweepTemporaryFiles()).toBe(1);
    expect(await filesUnder(join(root, 'tmp'))).toEqual(['fresh.part']);
    expect(await new LocalDiskStorage({ root: join(root, 'nowhere') }).sweepTemporaryFiles()).toBe(0);
  });
});
