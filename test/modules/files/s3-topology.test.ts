// Beyond one host: two api instances and a worker on STORAGE_DRIVER=s3, each with an upload
// directory of its own that must never be created. An upload through one instance downloads
// from the other (streamed, or redirected to a presigned URL), and the worker runs imports and
// reports from the bucket. Readiness includes the bucket.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { App } from '../../../src/compose/api.js';
import { startWorkerRuntime, type WorkerRuntime } from '../../../src/compose/worker.js';
import { buildTestApp, testConfig } from '../../helpers/app.js';
import { uploadFile } from '../../helpers/factories/files.js';
import { createAdmin, createUser, type TestUser } from '../../helpers/factories/users.js';
import { settledJob } from '../../helpers/jobs.js';
import { startS3Server, type TestS3Server } from '../../helpers/s3-server.js';
import { multipart } from './multipart.js';

// A report job took over 20 s once while other suites loaded the 2-core machine.
const JOB_WAIT_MS = 45_000;

let s3: TestS3Server;
let a: App;
let b: App;
let worker: WorkerRuntime;
let owner: TestUser;
let admin: TestUser;
const dirs = ['a', 'b', 'worker'].map((name) => join('.tmp', `never-created-${inject('runId')}-${name}`));

function s3Env(uploadDir: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    REDIS_PREFIX: `${inject('redisPrefix')}s3-topology:`,
    UPLOAD_DIR: uploadDir,
    STORAGE_DRIVER: 's3',
    S3_ENDPOINT: s3.endpoint,
    S3_REGION: s3.settings.region,
    S3_BUCKET: s3.bucket,
    S3_ACCESS_KEY_ID: s3.settings.accessKeyId,
    S3_SECRET_ACCESS_KEY: s3.settings.secretAccessKey,
    S3_FORCE_PATH_STYLE: 'true',
    ...extra,
  };
}

beforeAll(async () => {
  s3 = await startS3Server('topology');
  [a, b] = await Promise.all([
    buildTestApp({ env: s3Env(dirs[0]!) }),
    buildTestApp({ env: s3Env(dirs[1]!, { FILE_DOWNLOAD: 'redirect' }) }),
  ]);
  worker = await startWorkerRuntime(testConfig(s3Env(dirs[2]!)), { queues: ['imports', 'reports'] });
  [owner, admin] = await Promise.all([createUser(a), createAdmin(a)]);
});
afterAll(async () => {
  await worker?.close();
  await Promise.all([a?.close(), b?.close()]);
  await s3?.close();
});

describe('two api instances and a worker sharing only a bucket', () => {
  it('serves an upload through one instance from the other, streamed with ranges or redirected', async () => {
    const file = await uploadFile(a, owner, { filename: 'shared.txt', content: 'stored once, served anywhere' });

    const ranged = await a.inject({
      method: 'GET',
      url: `/api/v1/files/${file.id}/content`,
      headers: { ...owner.headers, range: 'bytes=7-10' },
    });
    expect(ranged.statusCode).toBe(206);
    expect(ranged.body).toBe('once');

    const redirected = await b.inject({
      method: 'GET',
      url: `/api/v1/files/${file.id}/content`,
      headers: owner.headers,
    });
    expect(redirected.statusCode).toBe(302);
    expect(redirected.headers['cache-control']).toBe('no-store');
    const bytes = await fetch(String(redirected.headers.location));
    expect(bytes.status).toBe(200);
    expect(bytes.headers.get('content-disposition')).toContain('shared.txt');
    expect(await bytes.text()).toBe('stored once, served anywhere');

    // The same authorization first: somebody else's file is 404, with no URL handed out.
    const stranger = await createUser(b);
    const refused = await b.inject({
      method: 'GET',
      url: `/api/v1/files/${file.id}/content`,
      headers: stranger.headers,
    });
    expect(refused.statusCode).toBe(404);
    expect(refused.headers.location).toBeUndefined();
    // And a current copy is still 304, not a redirect.
    const cached = await b.inject({
      method: 'GET',
      url: `/api/v1/files/${file.id}/content`,
      headers: { ...owner.headers, 'if-none-match': `"${file.sha256}"` },
    });
    expect(cached.statusCode).toBe(304);
  });

  it('imports a CSV uploaded through one instance in the worker, from the bucket', { timeout: 60_000 }, async () => {
    const form = multipart([
      { name: 'file', filename: 'items.csv', contentType: 'text/csv', content: 'name,price\nbucket item,1.50\n' },
    ]);
    const response = await b.inject({
      method: 'POST',
      url: '/api/v1/items/import',
      headers: { ...owner.headers, ...form.headers },
      payload: form.payload,
    });
    expect(response.statusCode, response.body).toBe(202);
    const job = await settledJob<{ state: string; result: unknown }>(a, owner, response.json().jobId, JOB_WAIT_MS);
    expect(job).toMatchObject({ state: 'completed', result: { inserted: 1 } });
  });

  it(
    'writes a report to the bucket in the worker, downloadable from either instance',
    { timeout: 60_000 },
    async () => {
      const response = await a.inject({ method: 'POST', url: '/api/v1/reports/items', headers: admin.headers });
      expect(response.statusCode, response.body).toBe(202);
      const job = await settledJob<{ state: string; result: { fileId: string } }>(
        b,
        admin,
        response.json().jobId,
        JOB_WAIT_MS,
      );
      expect(job.state).toBe('completed');
      const download = await a.inject({
        method: 'GET',
        url: `/api/v1/files/${job.result.fileId}/content`,
        headers: admin.headers,
      });
      expect(download.statusCode).toBe(200);
      expect(download.headers['content-type']).toContain('text/csv');
    },
  );

  it('reports the bucket in readiness, and is not ready without it', async () => {
    const ready = await a.inject({ method: 'GET', url: '/health/ready' });
    expect(ready.json()).toEqual({
      status: 'ok',
      checks: { postgres: { status: 'up' }, redis: { status: 'up' }, storage: { status: 'up' } },
    });
    const noBucket = await buildTestApp({ env: s3Env(dirs[0]!, { S3_BUCKET: 'no-such-bucket' }) });
    try {
      const answer = await noBucket.inject({ method: 'GET', url: '/health/ready' });
      expect(answer.statusCode).toBe(503);
      expect(answer.json().checks.storage).toEqual({ status: 'down' });
    } finally {
      await noBucket.close();
    }
  });

  it('never created an upload directory on any instance', () => {
    for (const dir of dirs) expect(existsSync(dir)).toBe(false);
  });
});
