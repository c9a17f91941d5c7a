#!/usr/bin/env node
// GET /api/v1/items/export.csv of 100k items against `psql \copy` of the same rows and columns
// to CSV (PostgreSQL's own COPY: the floor), measured in the same run, interleaved over rounds.
// Reports rows/s of both and the api's RSS (sampled from /proc/<pid>/status every 50 ms): before,
// peak, and growth, for a fast client and for a slow one (reading at --slow-mbps), the case
// where a server without backpressure would buffer the whole export.
//
//   node bench/export-100k.mjs [--label name] [--node-options "--max-old-space-size=128"] [--items 100000] [--rounds 3] [--slow-mbps 4] [--dist]
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import { log, median, scratchDatabase, sleep, withRssSampling } from './lib.mjs';
import { apiEnv, mb, option, startApi } from './api-process.mjs';

const ITEMS = Number(option('items', 100_000));
const ROUNDS = Number(option('rounds', 3));
const SLOW_MBPS = Number(option('slow-mbps', 4));
const PORT = 3922;

// The same columns, order and text forms as the export (see items-export.service.ts).
const COPY_SQL =
  "\\copy (SELECT id, name, description, price, tax, array_to_string(tags, '|') AS tags, owner_id AS \"ownerId\", " +
  "to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"') AS \"createdAt\", " +
  "to_char(updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"') AS \"updatedAt\" " +
  'FROM items ORDER BY created_at DESC, id DESC) TO STDOUT WITH (FORMAT csv, HEADER)';

/** Downloads the export; with `bytesPerSecond`, reads no faster than that (a slow client). */
function download(url, bytesPerSecond) {
  return new Promise((resolve, reject) => {
    http
      .get(url, (response) => {
        if (response.statusCode !== 200) reject(new Error(`export answered ${response.statusCode}`));
        let bytes = 0;
        let lines = 0;
        const started = Date.now();
        response.on('data', (chunk) => {
          bytes += chunk.length;
          for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) lines += 1;
          if (bytesPerSecond) {
            const due = (bytes / bytesPerSecond) * 1000 - (Date.now() - started);
            if (due > 0) {
              response.pause();
              setTimeout(() => response.resume(), due);
            }
          }
        });
        response.on('end', () => resolve({ bytes, rows: lines - 1 }));
        response.on('error', reject);
      })
      .on('error', reject);
  });
}

function psqlCopy(databaseUrl) {
  return new Promise((resolve, reject) => {
    const child = spawn('psql', ['-X', '-q', databaseUrl, '-c', COPY_SQL], { stdio: ['ignore', 'pipe', 'pipe'] });
    let bytes = 0;
    let lines = 0;
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      bytes += chunk.length;
      for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) lines += 1;
    });
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('exit', (code) => (code === 0 ? resolve({ bytes, rows: lines - 1 }) : reject(new Error(`psql exited ${code}: ${stderr}`))));
  });
}

async function timed(work) {
  const started = process.hrtime.bigint();
  const result = await work();
  return { ...result, seconds: Number(process.hrtime.bigint() - started) / 1e9 };
}

async function main() {
  log(`export bench: ${ITEMS} items, ${ROUNDS} rounds, slow client ${SLOW_MBPS} MB/s, node ${process.version}, ${os.cpus().length} cores`);
  const uploadDir = `.tmp/bench-export-${process.pid}`;
  const db = await scratchDatabase('bench_export');
  let api;
  try {
    log(`seed: ${ITEMS} items into ${db.name}`);
    const env = apiEnv({ databaseUrl: db.url, port: PORT, uploadDir });
    execFileSync(process.execPath, ['--import', 'tsx', 'prisma/seed.ts', '--items', String(ITEMS)], {
      env: { ...process.env, ...env, NODE_ENV: 'development' },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    execFileSync('psql', ['-X', '-q', db.url, '-c', 'VACUUM ANALYZE items']);
    api = await startApi(env);
    const url = `http://127.0.0.1:${PORT}/api/v1/items/export.csv`;
    await download(`${url}?minPrice=990`); // warm-up: loads and compiles the export path
    await sleep(500);

    const rounds = [];
    for (let round = 1; round <= ROUNDS; round += 1) {
      const fast = await withRssSampling(api.pid, () => timed(() => download(url)));
      const copy = await timed(() => psqlCopy(db.url));
      if (fast.result.rows !== copy.rows) throw new Error(`export has ${fast.result.rows} rows, \\copy ${copy.rows}`);
      const row = {
        round,
        rows: fast.result.rows,
        bytes: fast.result.bytes,
        copyBytes: copy.bytes,
        seconds: fast.result.seconds,
        rowsPerSecond: fast.result.rows / fast.result.seconds,
        copySeconds: copy.seconds,
        copyRowsPerSecond: copy.rows / copy.seconds,
        startRss: fast.startRss,
        peakRss: fast.peakRss,
      };
      rounds.push(row);
      log(`round ${round}: api ${row.rowsPerSecond.toFixed(0)} rows/s, \\copy ${row.copyRowsPerSecond.toFixed(0)} rows/s, api RSS ${mb(row.startRss)} -> ${mb(row.peakRss)} MB`);
    }

    let slow;
    if (SLOW_MBPS > 0) {
      const measured = await withRssSampling(api.pid, () => timed(() => download(url, SLOW_MBPS * 1024 * 1024)));
      slow = { rows: measured.result.rows, seconds: measured.result.seconds, startRss: measured.startRss, peakRss: measured.peakRss };
      log(`slow client: ${slow.rows} rows in ${slow.seconds.toFixed(1)} s, api RSS ${mb(slow.startRss)} -> ${mb(slow.peakRss)} MB`);
    }
    report(rounds, slow);
  } finally {
    await api?.stop();
    await db.drop();
    rmSync(uploadDir, { recursive: true, force: true });
  }
}

function report(rounds, slow) {
  const medianOf = (key) => median(rounds.map((r) => r[key]));
  const peak = Math.max(...rounds.map((r) => r.peakRss), slow?.peakRss ?? 0);
  const growth = Math.max(...rounds.map((r) => r.peakRss - r.startRss), slow ? slow.peakRss - slow.startRss : 0);
  const lines = [
    `# Export ${ITEMS} items as CSV (${new Date().toISOString().slice(0, 10)})`,
    '',
    `GET /api/v1/items/export.csv (all items, default sort, keyset batches of 1000, no compression) against \`psql \\copy (SELECT ... ORDER BY created_at DESC, id DESC) TO STDOUT WITH (FORMAT csv, HEADER)\` of the same rows and columns, interleaved; ${ROUNDS} rounds. node ${process.version}, ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, PostgreSQL, api and client on the same machine; api ${option('dist', false) === true ? 'from dist' : 'through tsx'}${option('node-options', '') ? ` with NODE_OPTIONS=${option('node-options', '')}` : ''}.`,
    '',
    '| round | rows | api rows/s | \\copy rows/s | api / \\copy | api MB | \\copy MB | api RSS before MB | api RSS peak MB |',
    '|---|---|---|---|---|---|---|---|---|',
    ...rounds.map(
      (r) =>
        `| ${r.round} | ${r.rows} | ${r.rowsPerSecond.toFixed(0)} | ${r.copyRowsPerSecond.toFixed(0)} | ${(r.rowsPerSecond / r.copyRowsPerSecond).toFixed(2)} | ${mb(r.bytes)} | ${mb(r.copyBytes)} | ${mb(r.startRss)} | ${mb(r.peakRss)} |`,
    ),
    `| **median** | | **${medianOf('rowsPerSecond').toFixed(0)}** | **${medianOf('copyRowsPerSecond').toFixed(0)}** | **${(medianOf('rowsPerSecond') / medianOf('copyRowsPerSecond')).toFixed(2)}** | | | ${mb(medianOf('startRss'))} | ${mb(medianOf('peakRss'))} |`,
    '',
    slow
      ? `Slow client (reads ${SLOW_MBPS} MB/s): ${slow.rows} rows in ${slow.seconds.toFixed(1)} s; api RSS ${mb(slow.startRss)} -> peak ${mb(slow.peakRss)} MB.`
      : '',
    '',
    `Highest api RSS: ${mb(peak)} MB (target: under 200 MB) -> ${peak < 200 * 1024 * 1024 ? 'PASS' : 'FAIL'}; largest growth during an export: ${mb(growth)} MB.`,
    '',
  ];
  mkdirSync('bench/results', { recursive: true });
  const file = `bench/results/export-100k${option('label', '') ? `-${option('label', '')}` : ''}`;
  writeFileSync(`${file}.md`, lines.join('\n'));
  writeFileSync(`${file}.json`, `${JSON.stringify({ items: ITEMS, rounds, slow }, null, 2)}\n`);
  process.stdout.write(`${lines.join('\n')}\n`);
}

await main();
