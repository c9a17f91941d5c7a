#!/usr/bin/env node
// CSV import of 100k rows: POST /api/v1/items/import (multipart upload, stored, queued) until
// the worker's `imports` job has validated and inserted every row, timed from the first byte
// sent to the job's completion, against `psql \copy ... FROM` of the same rows into a copy of
// the items table (same columns, defaults and indexes: CREATE TABLE ... (LIKE items INCLUDING
// ALL)), PostgreSQL's own bulk load with no validation. COPY needs its own text forms (tags as
// an array literal, the owner as a column), so the baseline reads a file of the same rows in
// those forms. The imported rows are deleted (and the table vacuumed) after each round, so the
// other scenarios keep seeing the seeded data only.
//
//   node tools/bench/import-100k.mjs [run.mjs options]   (= node tools/bench/run.mjs --only import-100k)
import { execFileSync } from 'node:child_process';
import { createReadStream, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { pipeline } from 'node:stream/promises';
import { pathToFileURL } from 'node:url';
import { cpuSeconds, json, log, option, query, sleep } from './lib.mjs';

export const IMPORT_ROWS = Number(option('import-rows', 100_000));

function rows() {
  return Array.from({ length: IMPORT_ROWS }, (_, n) => ({
    name: `Imported item ${n}`,
    description: `Import row ${n}, "quoted", with a comma`,
    price: ((n % 1000) + 0.5).toFixed(2),
    tax: '0.10',
    tags: [`i${n % 20}`, 'imported'],
  }));
}

const csvField = (text) => (/[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text);

/** The upload (the API's import format) and the same rows in COPY's forms for the baseline. */
function writeFiles(dir, ownerId) {
  mkdirSync(dir, { recursive: true });
  const all = rows();
  const api = [
    'name,description,price,tax,tags',
    ...all.map((r) => [r.name, r.description, r.price, r.tax, r.tags.join('|')].map(csvField).join(',')),
  ];
  const copy = [
    'owner_id,name,description,price,tax,tags',
    ...all.map((r) =>
      [String(ownerId), r.name, r.description, r.price, r.tax, `{${r.tags.join(',')}}`].map(csvField).join(','),
    ),
  ];
  writeFileSync(`${dir}/import.csv`, `${api.join('\r\n')}\r\n`);
  writeFileSync(`${dir}/copy.csv`, `${copy.join('\n')}\n`);
  return { apiFile: `${dir}/import.csv`, copyFile: `${dir}/copy.csv` };
}

/** Streams `file` as the `file` part of POST /api/v1/items/import; resolves with the job id. */
function uploadCsv(baseUrl, headers, file) {
  const boundary = `bench${Date.now()}`;
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="items.csv"\r\nContent-Type: text/csv\r\n\r\n`,
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  return new Promise((resolve, reject) => {
    const request = http.request(`${baseUrl}/api/v1/items/import`, {
      method: 'POST',
      headers: {
        ...headers,
        'content-type': `multipart/form-data; boundary=${boundary}`,
        'content-length': head.length + statSync(file).size + tail.length,
      },
    });
    request.on('response', (response) => {
      let body = '';
      response
        .setEncoding('utf8')
        .on('data', (chunk) => (body += chunk))
        .on('end', () =>
          response.statusCode === 202
            ? resolve(JSON.parse(body).jobId)
            : reject(new Error(`import answered ${response.statusCode}: ${body}`)),
        );
    });
    request.on('error', reject);
    request.write(head);
    pipeline(createReadStream(file), request, { end: false })
      .then(() => request.end(tail))
      .catch(reject);
  });
}

async function waitForJob(baseUrl, headers, jobId) {
  for (;;) {
    const job = await json(`${baseUrl}/api/v1/jobs/${jobId}`, { headers });
    if (job.state === 'completed') return job.result;
    if (job.state === 'failed') throw new Error(`import job failed: ${job.failedReason}`);
    await sleep(50);
  }
}

/** The scenario for run.mjs: value = rows/s; the worker must run (run.mjs starts it). */
export function importScenario(ctx) {
  const { apiUrl, auth, db } = ctx;
  const dir = `.tmp/bench-import-${process.pid}`;
  let files;
  return {
    name: 'import-100k',
    title: `CSV import of ${IMPORT_ROWS / 1000}k rows (upload + background job)`,
    baseline: 'psql \\copy FROM of the same rows into a copy of the items table',
    unit: 'rows/s',
    target: null,
    needsWorker: true,
    async setup() {
      const admin = await json(`${apiUrl}/api/v1/users/me`, { headers: auth });
      files = writeFiles(dir, admin.id);
      await query(db.url, 'DROP TABLE IF EXISTS bench_import_copy');
      await query(db.url, 'CREATE TABLE bench_import_copy (LIKE items INCLUDING ALL)');
      await query(db.url, 'ALTER TABLE bench_import_copy ALTER COLUMN updated_at SET DEFAULT CURRENT_TIMESTAMP');
    },
    async subject() {
      const workerCpu = ctx.worker ? cpuSeconds(ctx.worker.pid) : 0;
      const started = process.hrtime.bigint();
      const jobId = await uploadCsv(apiUrl, auth, files.apiFile);
      const result = await waitForJob(apiUrl, auth, jobId);
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      // Where the time goes: the worker's own CPU (parse, validate, Prisma) against the wall time.
      const workerCpuSeconds = ctx.worker ? cpuSeconds(ctx.worker.pid) - workerCpu : undefined;
      if (result.inserted !== IMPORT_ROWS || result.failed !== 0)
        throw new Error(
          `import inserted ${result.inserted}, failed ${result.failed}: ${JSON.stringify(result.errors?.slice(0, 3))}`,
        );
      await query(db.url, 'DELETE FROM items WHERE import_job_id = $1', [jobId]);
      await query(db.url, 'VACUUM items');
      log(`import: ${result.inserted} rows in ${seconds.toFixed(2)} s (worker CPU ${workerCpuSeconds?.toFixed(1)} s)`);
      return {
        value: result.inserted / seconds,
        extra: {
          rows: result.inserted,
          seconds: Number(seconds.toFixed(2)),
          workerCpuSeconds: workerCpuSeconds === undefined ? undefined : Number(workerCpuSeconds.toFixed(1)),
        },
      };
    },
    async base() {
      await query(db.url, 'TRUNCATE bench_import_copy');
      const started = process.hrtime.bigint();
      execFileSync('psql', [
        '-X',
        '-q',
        db.url,
        '-c',
        `\\copy bench_import_copy (owner_id, name, description, price, tax, tags) FROM '${files.copyFile}' WITH (FORMAT csv, HEADER true)`,
      ]);
      return IMPORT_ROWS / (Number(process.hrtime.bigint() - started) / 1e9);
    },
    async teardown() {
      await query(db.url, 'DROP TABLE IF EXISTS bench_import_copy');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { runBench } = await import('./run.mjs');
  await runBench({ only: ['import-100k'] });
}
