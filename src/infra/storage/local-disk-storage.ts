// Local-disk adapter of the storage port. Layout under the root directory:
//   objects/<first 2 chars of key>/<key>   complete objects (fan-out keeps directories small)
//   tmp/<random>.part                      writes in progress
// A write goes to tmp/ and is renamed into objects/ only once every byte is flushed, so a
// reader never sees a half-written object and a crash leaves only *.part files, which
// `sweepTemporaryFiles` removes. tmp/ is inside the root so the rename never crosses devices.
import { randomUUID } from 'node:crypto';
import { constants, createWriteStream } from 'node:fs';
import { access, mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { HashingMeter } from './hashing-meter.js';
import {
  KEY_PATTERN,
  StorageNotFoundError,
  type ByteRange,
  type ObjectStat,
  type PutOptions,
  type Storage,
  type StoredObject,
} from './storage.js';

export interface LocalDiskStorageOptions {
  /** Root directory; created on first write. */
  root: string;
  /** Default limit for `put` when the call gives none. */
  maxBytes?: number;
}

export class LocalDiskStorage implements Storage {
  private readonly root: string;
  private readonly objectsDir: string;
  private readonly tmpDir: string;
  private readonly defaultMaxBytes: number | undefined;

  constructor(options: LocalDiskStorageOptions) {
    this.root = resolve(options.root);
    this.objectsDir = join(this.root, 'objects');
    this.tmpDir = join(this.root, 'tmp');
    this.defaultMaxBytes = options.maxBytes;
  }

  async put(source: Readable | AsyncIterable<Uint8Array>, options: PutOptions = {}): Promise<StoredObject> {
    const key = randomUUID();
    const tmpPath = join(this.tmpDir, `${randomUUID()}.part`);
    const finalPath = this.pathOf(key);
    const meter = new HashingMeter(options.maxBytes ?? this.defaultMaxBytes);
    await mkdir(this.tmpDir, { recursive: true });
    try {
      // pipeline propagates backpressure end to end: the source is read only as fast as the
      // disk accepts, so memory stays at a few chunks whatever the size.
      await pipeline(source, meter, createWriteStream(tmpPath, { flags: 'wx', flush: true }), {
        signal: options.signal,
      });
      await mkdir(join(this.objectsDir, key.slice(0, 2)), { recursive: true });
      await rename(tmpPath, finalPath);
    } catch (error) {
      await rm(tmpPath, { force: true });
      throw error;
    }
    return { key, size: meter.size, sha256: meter.digest() };
  }

  async get(key: string, range?: ByteRange): Promise<Readable> {
    let handle;
    try {
      handle = await open(this.pathOf(key), 'r');
    } catch (error) {
      if (isMissing(error)) throw new StorageNotFoundError(key);
      throw error;
    }
    // The handle closes itself when the stream ends, fails or is destroyed (autoClose).
    return handle.createReadStream(range ? { start: range.start, end: range.end } : {});
  }

  async stat(key: string): Promise<ObjectStat | null> {
    try {
      const info = await stat(this.pathOf(key));
      return { key, size: info.size, modifiedAt: info.mtime };
    } catch (error) {
      if (isMissing(error)) return null;
      throw error;
    }
  }

  async delete(key: string): Promise<void> {
    await rm(this.pathOf(key), { force: true });
  }

  async *list({ olderThan }: { olderThan: Date }): AsyncIterable<ObjectStat> {
    let shards: string[];
    try {
      shards = await readdir(this.objectsDir);
    } catch (error) {
      if (isMissing(error)) return;
      throw error;
    }
    // One fan-out directory at a time: memory grows with the largest shard, not the total.
    for (const shard of shards) {
      const names = await readdir(join(this.objectsDir, shard)).catch(() => []);
      for (const key of names) {
        if (!KEY_PATTERN.test(key)) continue;
        const info = await stat(join(this.objectsDir, shard, key)).catch(() => null);
        if (info && info.mtime < olderThan) yield { key, size: info.size, modifiedAt: info.mtime };
      }
    }
  }

  /** The root exists (or can be made) and is writable: a missing volume mount fails here. */
  async check(): Promise<void> {
    await mkdir(this.tmpDir, { recursive: true });
    await access(this.tmpDir, constants.W_OK);
  }

  /**
   * Removes temporary files older than `olderThanMs` (left by a crash mid-write). Safe while
   * writes run: a write in progress is younger than the threshold.
   */
  async sweepTemporaryFiles(olderThanMs = 60 * 60 * 1000): Promise<number> {
    let names: string[];
    try {
      names = await readdir(this.tmpDir);
    } catch (error) {
      if (isMissing(error)) return 0;
      throw error;
    }
    let removed = 0;
    for (const name of names) {
      const path = join(this.tmpDir, name);
      const info = await stat(path).catch(() => null);
      if (info && Date.now() - info.mtimeMs > olderThanMs) {
        await rm(path, { force: true });
        removed += 1;
      }
    }
    return removed;
  }

  private pathOf(key: string): string {
    if (!KEY_PATTERN.test(key)) throw new StorageNotFoundError(key);
    return join(this.objectsDir, key.slice(0, 2), key);
  }
}

function isMissing(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | null)?.code === 'ENOENT';
}
