// The suite's global setup cleans up after itself: the run's database, its Redis keys and the
// upload directory every file test writes into are gone once the run ends.
import { existsSync } from 'node:fs';
import { Readable } from 'node:stream';
import { Redis } from 'ioredis';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import type { TestProject } from 'vitest/node';
import { LocalDiskStorage } from '../../../src/infra/storage/local-disk-storage.js';
import setup, { ADMIN_DATABASE_URL, REDIS_URL, uploadDirFor } from '../../helpers/global-setup.js';

describe('test run teardown', () => {
  it('drops the database and the Redis keys and removes the upload directory', { timeout: 60_000 }, async () => {
    const provided = new Map<string, string>();
    // setup() only calls provide(); a whole TestProject is not needed to run it.
    const project = {
      provide: (key: string, value: string) => void provided.set(key, value),
    } as unknown as TestProject;
    const teardown = await setup(project);
    const runId = provided.get('runId')!;

    // As the tests do: UPLOAD_DIR is `.tmp/uploads-<runId>` (see testEnv()).
    const storage = new LocalDiskStorage({ root: `.tmp/uploads-${runId}`, maxBytes: 1024 });
    const stored = await storage.put(Readable.from([Buffer.from('left behind by a test')]));
    expect(await storage.stat(stored.key)).not.toBeNull();
    expect(existsSync(uploadDirFor(runId))).toBe(true);
    const redis = new Redis(REDIS_URL);
    try {
      await redis.set(`${provided.get('redisPrefix')}probe`, '1');

      await teardown();

      expect(existsSync(uploadDirFor(runId))).toBe(false);
      expect(await redis.exists(`${provided.get('redisPrefix')}probe`)).toBe(0);
    } finally {
      redis.disconnect();
    }
    const admin = new pg.Client({ connectionString: ADMIN_DATABASE_URL });
    await admin.connect();
    try {
      expect((await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [`test_${runId}`])).rowCount).toBe(0);
    } finally {
      await admin.end();
    }
  });
});
