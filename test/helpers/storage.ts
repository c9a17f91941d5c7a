// The storage driver of a test run: local disk by default, S3 with TEST_STORAGE_DRIVER=s3 (the
// global setup then starts an s3rver and testEnv() points every app and worker at it). Tests
// that look at what is stored go through these helpers, so they hold on either driver.
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { inject } from 'vitest';
import { createS3Client } from '../../src/infra/storage/s3-storage.js';

export const S3_TEST_KEYS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

export function testStorageDriver(): 'local' | 's3' {
  return inject('s3Endpoint') ? 's3' : 'local';
}

/** The S3 variables of a test run on the S3 driver; nothing on local disk. */
export function s3TestEnv(bucket = 'test-run'): Record<string, string> {
  const endpoint = inject('s3Endpoint');
  if (!endpoint) return {};
  return {
    STORAGE_DRIVER: 's3',
    S3_ENDPOINT: endpoint,
    S3_REGION: 'us-east-1',
    S3_BUCKET: bucket,
    S3_ACCESS_KEY_ID: S3_TEST_KEYS.accessKeyId,
    S3_SECRET_ACCESS_KEY: S3_TEST_KEYS.secretAccessKey,
    S3_FORCE_PATH_STYLE: 'true',
  };
}

/**
 * Storage of its own for one test file (a directory, or a bucket on the run's S3 server), so
 * "nothing left behind" is checked against that file's writes only. Returns the env to build
 * the app with and a way to list everything stored, complete or not.
 */
export async function isolatedStorage(name: string, uploadDir: string) {
  if (testStorageDriver() === 'local') {
    return {
      env: { UPLOAD_DIR: uploadDir },
      root: uploadDir,
      async stored(): Promise<string[]> {
        const entries = await readdir(uploadDir, { recursive: true, withFileTypes: true }).catch(() => []);
        return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
      },
    };
  }
  const env = s3TestEnv(name);
  const client = createS3Client({
    endpoint: env.S3_ENDPOINT,
    region: 'us-east-1',
    forcePathStyle: true,
    ...S3_TEST_KEYS,
  });
  await client.send(new CreateBucketCommand({ Bucket: name }));
  const bucketDir = join(inject('s3Directory'), name);
  return {
    env,
    root: bucketDir,
    /** s3rver's files of the bucket: objects and the parts of unfinished multipart uploads. */
    async stored(): Promise<string[]> {
      const entries = await readdir(bucketDir, { recursive: true, withFileTypes: true }).catch(() => []);
      return entries
        .filter((e) => e.isFile() && (e.name.endsWith('._S3rver_object') || e.parentPath.includes('_S3rver_uploads')))
        .map((e) => join(e.parentPath, e.name));
    },
  };
}
