#!/usr/bin/env node
// GET /api/v1/items/export.csv of every item (100k seeded) against `psql \copy` of the same
// statement (PostgreSQL's own COPY, to psql's stdout: the floor). The baseline's statement is
// the app's own: exportStatement() of items-export.repository.ts with the export's defaults (no
// filter, sort -createdAt), so columns, formats and ORDER BY cannot drift apart. Reports rows/s
// of both and the api's RSS (sampled from /proc/<pid>/status every 50 ms) before and at its peak,
// for a fast client and, once, for a slow one (reading at --slow-mbps), the case where a server
// without backpressure would buffer the whole export.
//
//   node tools/bench/export-100k.mjs [run.mjs options]   (= node tools/bench/run.mjs --only export-100k)
import { spawn } from 'node:child_process';
import http from 'node:http';
import { pathToFileURL } from 'node:url';
import { lineFeeds, log, mb, option, sleep, timed, withRssSampling } from './lib.mjs';

const SLOW_MBPS = Number(option('slow-mbps', 4));
const RSS_LIMIT_MB = 200;

/** The app's COPY statement for an unfiltered export (dist/ is built by run.mjs). */
export async function copyStatement() {
  const { exportStatement } = await import('../../dist/modules/items/fast-paths/items-export.repository.js');
  return exportStatement({}, '-createdAt');
}

/** Downloads the export; with `bytesPerSecond`, reads no faster than that (a slow client). */
export function download(url, bytesPerSecond) {
  return new Promise((resolve, reject) => {
    http
      .get(url, (response) => {
        if (response.statusCode !== 200) reject(new Error(`export answered ${response.statusCode}`));
        let bytes = 0;
        let lines = 0;
        const started = Date.now();
        response.on('data', (chunk) => {
          bytes += chunk.length;
          lines += lineFeeds(chunk);
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

/** `psql \copy (statement) TO STDOUT`: the rows as CSV on psql's stdout, counted here. */
export function psqlCopy(databaseUrl, statement) {
  return new Promise((resolve, reject) => {
    const child = spawn('psql', ['-X', '-q', databaseUrl, '-c', `\\${statement}`], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let bytes = 0;
    let lines = 0;
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      bytes += chunk.length;
      lines += lineFeeds(chunk);
    });
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('exit', (code) =>
      code === 0 ? resolve({ bytes, rows: lines - 1 }) : reject(new Error(`psql exited ${code}: ${stderr}`)),
    );
  });
}

/** The scenario for run.mjs: value = rows/s; extra = bytes and the api's RSS. */
export function exportScenario({ apiUrl, api, db }) {
  const url = `${apiUrl}/api/v1/items/export.csv`;
  let statement;
  let slowDone = SLOW_MBPS <= 0;
  return {
    name: 'export-100k',
    title: 'CSV export of every item (GET /api/v1/items/export.csv)',
    baseline: 'psql \\copy of the same COPY statement',
    unit: 'rows/s',
    target: 0.5,
    limits: [{ key: 'peakRssMb', max: RSS_LIMIT_MB, label: 'api RSS peak', unit: 'MB' }],
    async setup() {
      statement = await copyStatement();
      log(`export baseline: \\${statement.slice(0, 120)}...`);
      await download(`${url}?minPrice=990`); // warm-up: loads and compiles the export path
      await sleep(500);
    },
    async subject() {
      const fast = await withRssSampling(api.pid, () => timed(() => download(url)));
      const extra = {
        rows: fast.result.rows,
        mb: Number(mb(fast.result.bytes)),
        startRssMb: Number(mb(fast.startRss)),
        peakRssMb: Number(mb(fast.peakRss)),
      };
      if (!slowDone) {
        slowDone = true;
        const slow = await withRssSampling(api.pid, () => timed(() => download(url, SLOW_MBPS * 1024 * 1024)));
        Object.assign(extra, {
          slowClientMbps: SLOW_MBPS,
          slowSeconds: Number(slow.result.seconds.toFixed(1)),
          slowPeakRssMb: Number(mb(slow.peakRss)),
        });
        extra.peakRssMb = Math.max(extra.peakRssMb, extra.slowPeakRssMb);
        log(
          `export, slow client (${SLOW_MBPS} MB/s): ${slow.result.rows} rows in ${slow.result.seconds.toFixed(1)} s, api RSS ${mb(slow.startRss)} -> ${mb(slow.peakRss)} MB`,
        );
      }
      log(
        `export: ${fast.result.rows} rows in ${fast.result.seconds.toFixed(2)} s, api RSS ${mb(fast.startRss)} -> ${mb(fast.peakRss)} MB`,
      );
      return { value: fast.result.rows / fast.result.seconds, extra };
    },
    async base() {
      const copy = await timed(() => psqlCopy(db.url, statement));
      return copy.rows / copy.seconds;
    },
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { runBench } = await import('./run.mjs');
  await runBench({ only: ['export-100k'] });
}
