#!/usr/bin/env node
// The 200 MB upload and download with STORAGE_DRIVER=s3: through a second api (same database
// and Redis) whose storage is an S3 endpoint (s3rver, tools/bench/s3-server.mjs), against the
// same bytes put and got with the AWS SDK directly from the load generator (lib-storage's
// Upload, GetObject): the floor of any S3 adapter. Reports the api's RSS growth during each
// transfer (the upload must stream into a multipart upload, never buffer the file).
//
//   node tools/bench/upload-s3.mjs [run.mjs options]
//   (= node tools/bench/run.mjs --only upload-200mb-s3,download-200mb-s3)
import { rmSync } from 'node:fs';
import os from 'node:os';
import { pathToFileURL } from 'node:url';
import { DeleteObjectCommand, GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { startApi } from './api-process.mjs';
import { apiEnv, log, mb, newUserBearer, startProcess, withRssSampling } from './lib.mjs';
import { UPLOAD_MEGABYTES, content, expectedSha256, upload } from './upload-200mb.mjs';

const SIZE = UPLOAD_MEGABYTES * 1024 * 1024;
const GROWTH_LIMIT_MB = 50;
const S3_PORT = 3904;
const API_PORT = 3903;
const BUCKET = 'bench';
const KEYS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

/** Reads a stream to its end and returns the byte count (nothing kept). */
async function drain(stream) {
  let bytes = 0;
  for await (const chunk of stream) bytes += chunk.length;
  return bytes;
}

/** The S3 server and the api on it, started once for both scenarios. */
function s3Stack(ctx) {
  let started;
  let users = 0;
  const dir = `.tmp/bench-s3-${process.pid}`;
  return {
    async up() {
      users += 1;
      started ??= (async () => {
        const s3 = await startProcess({
          script: 'tools/bench/s3-server.mjs',
          env: { PORT: String(S3_PORT), BUCKET, DIR: dir },
          // Unpinned: pinned with the api it takes the api's core (unfair to the app), pinned
          // with the load generator the two starve each other (both sides ran 3-8x slower).
          cpu: `0-${os.cpus().length - 1}`,
          readyLog: /ready/,
        });
        const api = await startApi(
          apiEnv({
            databaseUrl: ctx.db.url,
            port: API_PORT,
            uploadDir: `.tmp/bench-unused-${process.pid}`,
            extra: {
              MAX_UPLOAD_BYTES: String(300 * 1024 * 1024),
              STORAGE_DRIVER: 's3',
              S3_ENDPOINT: `http://127.0.0.1:${S3_PORT}`,
              S3_BUCKET: BUCKET,
              S3_ACCESS_KEY_ID: KEYS.accessKeyId,
              S3_SECRET_ACCESS_KEY: KEYS.secretAccessKey,
              S3_FORCE_PATH_STYLE: 'true',
            },
          }),
        );
        const apiUrl = `http://127.0.0.1:${API_PORT}`;
        const client = new S3Client({
          endpoint: `http://127.0.0.1:${S3_PORT}`,
          region: 'us-east-1',
          forcePathStyle: true,
          credentials: KEYS,
          requestChecksumCalculation: 'WHEN_REQUIRED',
          responseChecksumValidation: 'WHEN_REQUIRED',
        });
        return { s3, api, apiUrl, client, auth: await newUserBearer(apiUrl) };
      })();
      return started;
    },
    /** The running stack (between a scenario's setup and teardown). */
    get: () => started,
    async down() {
      users -= 1;
      if (users > 0 || !started) return;
      const { s3, api, client } = await started;
      client.destroy();
      await api.stop();
      await s3.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function uploadThroughApi(stack, sha256) {
  const { result, startRss, peakRss } = await withRssSampling(stack.api.pid, () => upload(stack.apiUrl, stack.auth));
  if (result.status !== 201) throw new Error(`upload answered ${result.status}: ${result.body}`);
  const [file] = JSON.parse(result.body);
  if (file.size !== SIZE || file.sha256 !== sha256) throw new Error(`stored ${file.size} bytes, sha256 ${file.sha256}`);
  return { file, startRss, peakRss };
}

async function putWithSdk(stack, key) {
  await new Upload({ client: stack.client, params: { Bucket: BUCKET, Key: key, Body: content() } }).done();
}

const seconds = (started) => Number(process.hrtime.bigint() - started) / 1e9;

export function s3Scenarios(ctx) {
  const stack = s3Stack(ctx);
  const sha256 = expectedSha256();
  let downloadFile;
  const common = {
    baseline: 'the same bytes with the AWS SDK directly',
    unit: 'MB/s',
    target: 0.5,
    limits: [{ key: 'growthMb', max: GROWTH_LIMIT_MB, label: 'api RSS growth', unit: 'MB' }],
  };
  return [
    {
      ...common,
      name: 'upload-200mb-s3',
      title: `${UPLOAD_MEGABYTES} MB upload, STORAGE_DRIVER=s3 (POST /api/v1/files)`,
      async setup() {
        const s = await stack.up();
        // Warm-up: the first request loads the SDK and the upload path; it is not measured.
        await uploadThroughApi(s, sha256);
      },
      async subject() {
        const s = await stack.get();
        const started = process.hrtime.bigint();
        const { file, startRss, peakRss } = await uploadThroughApi(s, sha256);
        const value = UPLOAD_MEGABYTES / seconds(started);
        await fetch(`${s.apiUrl}/api/v1/files/${file.id}`, { method: 'DELETE', headers: s.auth });
        log(`upload via api to S3: ${value.toFixed(0)} MB/s, api RSS ${mb(startRss)} -> ${mb(peakRss)} MB`);
        return {
          value,
          extra: {
            startRssMb: Number(mb(startRss)),
            peakRssMb: Number(mb(peakRss)),
            growthMb: Number(mb(peakRss - startRss)),
          },
        };
      },
      async base() {
        const s = await stack.get();
        const key = `baseline-${Date.now()}`;
        const started = process.hrtime.bigint();
        await putWithSdk(s, key);
        const value = UPLOAD_MEGABYTES / seconds(started);
        await s.client.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: key }));
        return value;
      },
      teardown: () => stack.down(),
    },
    {
      ...common,
      name: 'download-200mb-s3',
      title: `${UPLOAD_MEGABYTES} MB download, STORAGE_DRIVER=s3 (GET /api/v1/files/:id/content, proxied)`,
      async setup() {
        const s = await stack.up();
        downloadFile = (await uploadThroughApi(s, sha256)).file;
        await putWithSdk(s, 'baseline-download');
      },
      async subject() {
        const s = await stack.get();
        const started = process.hrtime.bigint();
        const {
          result: bytes,
          startRss,
          peakRss,
        } = await withRssSampling(s.api.pid, async () => {
          const response = await fetch(`${s.apiUrl}/api/v1/files/${downloadFile.id}/content`, { headers: s.auth });
          if (response.status !== 200) throw new Error(`download answered ${response.status}`);
          return drain(response.body);
        });
        if (bytes !== SIZE) throw new Error(`downloaded ${bytes} bytes`);
        const value = UPLOAD_MEGABYTES / seconds(started);
        log(`download via api from S3: ${value.toFixed(0)} MB/s, api RSS ${mb(startRss)} -> ${mb(peakRss)} MB`);
        return {
          value,
          extra: {
            startRssMb: Number(mb(startRss)),
            peakRssMb: Number(mb(peakRss)),
            growthMb: Number(mb(peakRss - startRss)),
          },
        };
      },
      async base() {
        const s = await stack.get();
        const started = process.hrtime.bigint();
        const answer = await s.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'baseline-download' }));
        const bytes = await drain(answer.Body);
        if (bytes !== SIZE) throw new Error(`got ${bytes} bytes`);
        return UPLOAD_MEGABYTES / seconds(started);
      },
      teardown: () => stack.down(),
    },
  ];
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { runBench } = await import('./run.mjs');
  await runBench({ only: ['upload-200mb-s3', 'download-200mb-s3'] });
}
