#!/usr/bin/env node
// A 200 MB multipart upload through POST /api/v1/files, against writing the same bytes to disk
// with fs in the load generator's process (the floor: no HTTP, no multipart, no hashing).
// Reports the api's RSS before and at its peak during the upload (sampled from
// /proc/<pid>/status every 50 ms) and the throughput of both. The bytes are generated on the
// fly on both sides, so neither holds the file in memory; the api's answer (size and sha256) is
// checked against what was sent.
//
//   node tools/bench/upload-200mb.mjs [run.mjs options]   (= node tools/bench/run.mjs --only upload-200mb)
import { createHash } from 'node:crypto';
import { createWriteStream, mkdirSync, rmSync } from 'node:fs';
import http from 'node:http';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { pathToFileURL } from 'node:url';
import { log, mb, newUserBearer, option, withRssSampling } from './lib.mjs';

export const UPLOAD_MEGABYTES = Number(option('upload-mb', 200));
const SIZE = UPLOAD_MEGABYTES * 1024 * 1024;
const GROWTH_LIMIT_MB = 50;
const CHUNK = Buffer.alloc(64 * 1024);
for (let i = 0; i < CHUNK.length; i += 1) CHUNK[i] = (i * 7919) % 251; // not all zeros, same every run

/** `size` bytes as a stream, produced on demand (one 64 KiB chunk reused). */
export function content(size = SIZE) {
  return Readable.from(
    (function* generate() {
      for (let sent = 0; sent < size; sent += CHUNK.length)
        yield CHUNK.subarray(0, Math.min(CHUNK.length, size - sent));
    })(),
  );
}

export function expectedSha256(size = SIZE) {
  const hash = createHash('sha256');
  for (let sent = 0; sent < size; sent += CHUNK.length)
    hash.update(CHUNK.subarray(0, Math.min(CHUNK.length, size - sent)));
  return hash.digest('hex');
}

/** Streams one multipart request with a single `file` part; resolves with status and body. */
export function upload(baseUrl, headers, size = SIZE, path = '/api/v1/files') {
  const boundary = `bench${Date.now()}`;
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.bin"\r\nContent-Type: application/octet-stream\r\n\r\n`,
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  return new Promise((resolve, reject) => {
    const request = http.request(`${baseUrl}${path}`, {
      method: 'POST',
      headers: {
        ...headers,
        'content-type': `multipart/form-data; boundary=${boundary}`,
        'content-length': head.length + size + tail.length,
      },
    });
    request.on('response', (response) => {
      let body = '';
      response
        .setEncoding('utf8')
        .on('data', (chunk) => (body += chunk))
        .on('end', () => resolve({ status: response.statusCode, body }));
    });
    request.on('error', reject);
    request.write(head);
    pipeline(content(size), request, { end: false })
      .then(() => request.end(tail))
      .catch(reject);
  });
}

/** The floor: the same bytes to a file with fs.createWriteStream, flushed. Returns seconds. */
export async function baselineWrite(dir) {
  const path = `${dir}/baseline-${Date.now()}.bin`;
  const started = process.hrtime.bigint();
  await pipeline(content(), createWriteStream(path, { flush: true }));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  rmSync(path, { force: true });
  return seconds;
}

/** The scenario for run.mjs: value = MB/s; extra = the api's RSS before, at peak and the growth. */
export function uploadScenario({ apiUrl, baseUrl, api }) {
  const baselineDir = `.tmp/bench-upload-baseline-${process.pid}`;
  const sha256 = expectedSha256();
  let auth;
  return {
    name: 'upload-200mb',
    title: `${UPLOAD_MEGABYTES} MB upload (POST /api/v1/files, multipart)`,
    baseline: 'the same bytes written to disk with fs',
    unit: 'MB/s',
    target: 0.5,
    limits: [{ key: 'growthMb', max: GROWTH_LIMIT_MB, label: 'api RSS growth', unit: 'MB' }],
    async setup() {
      mkdirSync(baselineDir, { recursive: true });
      auth = await newUserBearer(apiUrl);
      // Warm-up: the first request loads and compiles the upload path; it is not measured.
      const warmUp = await upload(apiUrl, auth, 1024 * 1024);
      if (warmUp.status !== 201) throw new Error(`warm-up upload answered ${warmUp.status}: ${warmUp.body}`);
    },
    async subject() {
      const started = process.hrtime.bigint();
      const { result, startRss, peakRss } = await withRssSampling(api.pid, () => upload(apiUrl, auth));
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      if (result.status !== 201) throw new Error(`upload answered ${result.status}: ${result.body}`);
      const [file] = JSON.parse(result.body);
      if (file.size !== SIZE || file.sha256 !== sha256)
        throw new Error(`stored ${file.size} bytes, sha256 ${file.sha256}: not what was sent`);
      await fetch(`${apiUrl}/api/v1/files/${file.id}`, { method: 'DELETE', headers: auth });
      // For the record, not the ratio: the same request into bare Fastify piping it to disk.
      const bareStarted = process.hrtime.bigint();
      const bare = await upload(baseUrl, {}, SIZE, '/upload');
      if (bare.status !== 201) throw new Error(`bare upload answered ${bare.status}`);
      const bareMbps = UPLOAD_MEGABYTES / (Number(process.hrtime.bigint() - bareStarted) / 1e9);
      log(
        `upload: ${(UPLOAD_MEGABYTES / seconds).toFixed(0)} MB/s (bare Fastify + fs: ${bareMbps.toFixed(0)} MB/s), api RSS ${mb(startRss)} -> ${mb(peakRss)} MB`,
      );
      return {
        value: UPLOAD_MEGABYTES / seconds,
        extra: {
          startRssMb: Number(mb(startRss)),
          peakRssMb: Number(mb(peakRss)),
          growthMb: Number(mb(peakRss - startRss)),
          bareHttpToDiskMbps: Math.round(bareMbps),
        },
      };
    },
    async base() {
      return UPLOAD_MEGABYTES / (await baselineWrite(baselineDir));
    },
    async teardown() {
      rmSync(baselineDir, { recursive: true, force: true });
    },
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { runBench } = await import('./run.mjs');
  await runBench({ only: ['upload-200mb'] });
}
