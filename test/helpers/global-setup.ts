// Once per `npm test`: a fresh PostgreSQL database with the committed migrations applied by the
// real Prisma CLI, a Redis key prefix and an upload directory of its own. All three are removed
// at the end, so runs on one machine (or CI) never see each other's data or fill the disk.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { startS3Server } from './s3-server.js';

const run = promisify(execFile);

export const ADMIN_DATABASE_URL =
  process.env.TEST_DATABASE_ADMIN_URL ?? 'postgresql://postgres:postgres@127.0.0.1:5432/postgres';
export const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

declare module 'vitest' {
  export interface ProvidedContext {
    databaseUrl: string;
    redisUrl: string;
    redisPrefix: string;
    runId: string;
    /** TEST_STORAGE_DRIVER=s3: the run's S3 server (s3rver); '' on local disk. See ./storage.ts. */
    s3Endpoint: string;
    s3Directory: string;
  }
}

export const TEST_BUCKET = 'test-run';

export function databaseUrlFor(name: string): string {
  const url = new URL(ADMIN_DATABASE_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

export async function deleteRedisKeys(redisUrl: string, prefix: string): Promise<void> {
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) await redis.unlink(...keys);
  } while (cursor !== '0');
  await redis.quit();
}

/**
 * UPLOAD_DIR of a run, as `testEnv()` in ./app.ts names it; relative paths resolve against the
 * working directory, which the test workers share with this process.
 */
export function uploadDirFor(runId: string): string {
  return resolve('.tmp', `uploads-${runId}`);
}

export default async function setup(project: TestProject) {
  const runId = `${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  const database = `test_${runId}`;
  const admin = new pg.Client({ connectionString: ADMIN_DATABASE_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${database}"`);
  await admin.end();

  const databaseUrl = databaseUrlFor(database);
  await run(process.execPath, ['tools/prisma-offline/prisma.mjs', 'migrate', 'deploy'], {
    env: { ...process.env, DATABASE_URL: databaseUrl },
  });

  const redisPrefix = `test:${runId}:`;
  project.provide('databaseUrl', databaseUrl);
  project.provide('redisUrl', REDIS_URL);
  project.provide('redisPrefix', redisPrefix);
  project.provide('runId', runId);
  const uploadDir = uploadDirFor(runId);
  // The same suites on the S3 driver: one S3-protocol server for the run, its bucket the default.
  const s3 = process.env.TEST_STORAGE_DRIVER === 's3' ? await startS3Server(TEST_BUCKET) : undefined;
  project.provide('s3Endpoint', s3?.endpoint ?? '');
  project.provide('s3Directory', s3?.directory ?? '');

  return async () => {
    try {
      await s3?.close();
      const client = new pg.Client({ connectionString: ADMIN_DATABASE_URL });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
      await client.end();
      await deleteRedisKeys(REDIS_URL, redisPrefix);
    } finally {
      // Every uploaded test file and report is written here; kept, they would pile up run after run.
      await rm(uploadDir, { recursive: true, force: true });
    }
  };
}
