#!/usr/bin/env node
// A 200 MB multipart upload through POST /api/v1/files, against writing the same bytes to disk
// with fs in this process (the floor: no HTTP, no multipart, no hashing). Reports the api's
// RSS before and at its peak during the upload (sampled from /proc/<pid>/status every 50 ms)
// and the throughput of both, per round and as medians. The bytes are generated on the fly on
// both sides, so neither holds the file in memory.
//
//   node bench/upload-200mb.mjs [--label name] [--node-options "--max-old-space-size=128"] [--mb 200] [--rounds 3] [--dist]
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { log, median, scratchDatabase, withRssSampling } from './lib.mjs';
import { apiEnv, bearerFor, mb, option, startApi } from './api-process.mjs';

const MEGABYTES = Number(option('mb', 200));
const ROUNDS = Number(option('rounds', 3));
const SIZE = MEGABYTES * 1024 * 1024;
const PORT = 3921;
const CHUNK = Buffer.alloc(64 * 1024);
for (let i = 0; i < CHUNK.length; i += 1) CHUNK[i] = (i * 7919) % 251; // not all zeros, same every run

/** `size` bytes as a stream, produced on demand (one 64 KiB chunk reused). */
function content(size = SIZE) {
  return Readable.from(
    (function* generate() {
      for (let sent = 0; sent < size; sent += CHUNK.length) yield CHUNK.subarray(0, Math.min(CHUNK.length, size - sent));
    })(),
  );
}

function expectedSha256() {
  const hash = createHash('sha256');
  for (let sent = 0; sent < SIZE; sent += CHUNK.length) hash.update(CHUNK.subarray(0, Math.min(CHUNK.length, SIZE - sent)));
  return hash.digest('hex');
}

/** Streams one multipart request with a single `file` part; resolves with status and body. */
function upload(baseUrl, headers) {
  return uploadSized(baseUrl, headers, SIZE);
}

function uploadSized(baseUrl, headers, size) {
  const boundary = `bench${Date.now()}`;
  const head = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.bin"\r\nContent-Type: application/octet-stream\r\n\r\n`);
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  return new Promise((resolve, reject) => {
    const request = http.request(`${baseUrl}/api/v1/files`, {
      method: 'POST',
      headers: { ...headers, 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': head.length + size + tail.length },
    });
    request.on('response', (response) => {
      let body = '';
      response.setEncoding('utf8').on('data', (chunk) => (body += chunk)).on('end', () => resolve({ status: response.statusCode, body }));
    });
    request.on('error', reject);
    request.write(head);
    pipeline(content(size), request, { end: false })
      .then(() => request.end(tail))
      .catch(reject);
  });
}

async function baselineWrite(dir) {
  const path = `${dir}/baseline-${Date.now()}.bin`;
  const started = process.hrtime.bigint();
  await pipeline(content(), createWriteStream(path, { flush: true }));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  rmSync(path, { force: true });
  return seconds;
}

async function main() {
  log(`upload bench: ${MEGABYTES} MB, ${ROUNDS} rounds, node ${process.version}, ${os.cpus().length} cores`);
  const uploadDir = `.tmp/bench-upload-${process.pid}`;
  const baselineDir = `.tmp/bench-upload-baseline-${process.pid}`;
  mkdirSync(baselineDir, { recursive: true });
  const db = await scratchDatabase('bench_upload');
  let api;
  try {
    const env = apiEnv({ databaseUrl: db.url, port: PORT, uploadDir, extra: { MAX_UPLOAD_BYTES: String(SIZE + 1024) } });
    api = await startApi(env);
    const baseUrl = `http://127.0.0.1:${PORT}`;
    const auth = await bearerFor(baseUrl);
    const sha256 = expectedSha256();
    // Warm-up: the first request loads and compiles the upload path; it is not measured.
    const warmUp = await uploadSized(baseUrl, auth, 1024 * 1024);
    if (warmUp.status !== 201) throw new Error(`warm-up upload answered ${warmUp.status}: ${warmUp.body}`);

    const rounds = [];
    for (let round = 1; round <= ROUNDS; round += 1) {
      const started = process.hrtime.bigint();
      const { result, startRss, peakRss } = await withRssSampling(api.pid, () => upload(baseUrl, auth));
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      if (result.status !== 201) throw new Error(`upload answered ${result.status}: ${result.body}`);
      const [file] = JSON.parse(result.body);
      if (file.size !== SIZE || file.sha256 !== sha256) throw new Error(`stored ${file.size} bytes, sha256 ${file.sha256}: not what was sent`);
      await fetch(`${baseUrl}/api/v1/files/${file.id}`, { method: 'DELETE', headers: auth });
      const baselineSeconds = await baselineWrite(baselineDir);
      const row = { round, seconds, mbps: MEGABYTES / seconds, startRss, peakRss, growth: peakRss - startRss, baselineSeconds, baselineMbps: MEGABYTES / baselineSeconds };
      rounds.push(row);
      log(`round ${round}: api ${row.mbps.toFixed(0)} MB/s, RSS ${mb(startRss)} -> peak ${mb(peakRss)} MB (+${mb(row.growth)}); fs baseline ${row.baselineMbps.toFixed(0)} MB/s`);
    }
    report(rounds);
  } finally {
    await api?.stop();
    await db.drop();
    rmSync(uploadDir, { recursive: true, force: true });
    rmSync(baselineDir, { recursive: true, force: true });
  }
}

function report(rounds) {
  const medianOf = (key) => median(rounds.map((r) => r[key]));
  const maxGrowth = Math.max(...rounds.map((r) => r.growth));
  const lines = [
    `# Upload ${MEGABYTES} MB (${new Date().toISOString().slice(0, 10)})`,
    '',
    `POST /api/v1/files, one multipart part of ${MEGABYTES} MB, streamed to local disk while hashed; baseline: the same bytes written with fs.createWriteStream in the client process. ${ROUNDS} rounds; node ${process.version}, ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}; api ${option('dist', false) === true ? 'from dist' : 'through tsx'}${option('node-options', '') ? ` with NODE_OPTIONS=${option('node-options', '')}` : ''}.`,
    '',
    '| round | api MB/s | fs baseline MB/s | api / baseline | api RSS before MB | api RSS peak MB | RSS growth MB |',
    '|---|---|---|---|---|---|---|',
    ...rounds.map((r) => `| ${r.round} | ${r.mbps.toFixed(0)} | ${r.baselineMbps.toFixed(0)} | ${(r.mbps / r.baselineMbps).toFixed(2)} | ${mb(r.startRss)} | ${mb(r.peakRss)} | ${mb(r.growth)} |`),
    `| **median** | **${medianOf('mbps').toFixed(0)}** | **${medianOf('baselineMbps').toFixed(0)}** | **${(medianOf('mbps') / medianOf('baselineMbps')).toFixed(2)}** | ${mb(medianOf('startRss'))} | ${mb(medianOf('peakRss'))} | **${mb(medianOf('growth'))}** |`,
    '',
    `Largest RSS growth over the rounds: ${mb(maxGrowth)} MB (target: under 50 MB) -> ${maxGrowth < 50 * 1024 * 1024 ? 'PASS' : 'FAIL'}.`,
    '',
  ];
  mkdirSync('bench/results', { recursive: true });
  const file = `bench/results/upload-200mb${option('label', '') ? `-${option('label', '')}` : ''}`;
  writeFileSync(`${file}.md`, lines.join('\n'));
  writeFileSync(`${file}.json`, `${JSON.stringify({ megabytes: MEGABYTES, rounds }, null, 2)}\n`);
  process.stdout.write(`${lines.join('\n')}\n`);
}

await main();
