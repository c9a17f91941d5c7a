// The scenarios of `npm run bench`. Each one measures the app (`subject`) and its baseline
// (`base`) the same way; run.mjs calls them interleaved, round after round. A side returns a
// number, or { value, extra } where `extra` is kept per round (RSS, rows...). Optional keys:
//   target       the median ratio app/baseline to reach (null: report only)
//   lowerIsBetter the value is a time: the ratio is baseline/app
//   limits       [{ key, max, label, unit }]: an `extra` figure that must stay under `max` in
//                every round (RSS), part of `met`
//   setup, teardown  once, around the rounds; needsWorker: run.mjs starts the worker process
//   optional     run only when named in --only (or with --ws for ws-fanout)
import os from 'node:os';
import { exportScenario } from './export-100k.mjs';
import { importScenario } from './import-100k.mjs';
import { load, query, repin, sleep } from './lib.mjs';
import { uploadScenario } from './upload-200mb.mjs';
import { s3Scenarios } from './upload-s3.mjs';
import { fanoutScenario } from './ws-fanout.mjs';

/** Requests per second under autocannon; any failed request fails the run. */
async function reqPerSec(ctx, options) {
  const result = await load({ connections: ctx.connections, duration: ctx.duration, ...options });
  const bad = result.non2xx + result.errors + result.timeouts;
  if (bad > 0)
    throw new Error(`${options.url}: ${bad} failed requests (${result.non2xx} non-2xx, ${result.errors} errors)`);
  return result.requests.average;
}

/**
 * `total` logins, `concurrency` at a time, timed until the last one answers: a rate without
 * the cut-off error of a fixed duration (a login takes a sizeable part of a second).
 */
async function loginsPerSecond(url, body, total, concurrency) {
  let started = 0;
  const worker = async () => {
    while (started < total) {
      started += 1;
      const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      await response.arrayBuffer();
      if (response.status !== 200) throw new Error(`login answered ${response.status}`);
    }
  };
  const begin = process.hrtime.bigint();
  await Promise.all(Array.from({ length: concurrency }, worker));
  return total / (Number(process.hrtime.bigint() - begin) / 1e9);
}

export function httpScenarios(ctx) {
  const { apiUrl, baseUrl, api, auth, db, itemId, newItem, compareSeconds, login } = ctx;
  const cores = os.cpus().length;
  return [
    {
      name: 'items-get-cached',
      title: 'GET /api/v1/items/:id (cached)',
      baseline: 'bare Fastify, same JSON',
      unit: 'req/s',
      target: 0.5,
      subject: () => reqPerSec(ctx, { url: `${apiUrl}/api/v1/items/${itemId}` }),
      base: () => reqPerSec(ctx, { url: `${baseUrl}/items/${itemId}` }),
    },
    {
      name: 'items-list',
      title: 'GET /api/v1/items?limit=20 (uncached)',
      baseline: 'same query, raw pg in bare Fastify',
      unit: 'req/s',
      target: 0.7,
      subject: () => reqPerSec(ctx, { url: `${apiUrl}/api/v1/items?limit=20` }),
      base: () => reqPerSec(ctx, { url: `${baseUrl}/items?limit=20` }),
    },
    {
      name: 'items-create',
      title: 'POST /api/v1/items (validated, authenticated)',
      baseline: 'bare Fastify echo (the ceiling)',
      unit: 'req/s',
      target: null,
      subject: async () => {
        const rate = await reqPerSec(ctx, {
          url: `${apiUrl}/api/v1/items`,
          method: 'POST',
          headers: { ...auth, 'content-type': 'application/json' },
          body: newItem,
        });
        // Untimed: the created items go, so every scenario keeps seeing the seeded data only
        // (again after a moment, for the requests autocannon still had in flight).
        await query(db.url, `DELETE FROM items WHERE name = 'Bench item'`);
        await sleep(300);
        await query(db.url, `DELETE FROM items WHERE name = 'Bench item'`);
        return rate;
      },
      base: () =>
        reqPerSec(ctx, {
          url: `${baseUrl}/items`,
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: newItem,
        }),
    },
    {
      name: 'login',
      title: 'POST /api/v1/auth/token (login)',
      baseline: `bcrypt bound: ${cores} cores / compare time`,
      unit: 'logins/s',
      target: 0.85,
      // bcrypt runs on libuv's pool: the app gets every core for this one.
      subject: async () => {
        repin(api.pid, `0-${cores - 1}`);
        try {
          return await loginsPerSecond(`${apiUrl}/api/v1/auth/token`, login, 24 * cores, 4 * cores);
        } finally {
          repin(api.pid, '0');
        }
      },
      base: async () => cores / compareSeconds,
    },
  ];
}

export function extraScenarios(ctx) {
  return [exportScenario(ctx), uploadScenario(ctx), ...s3Scenarios(ctx), importScenario(ctx), fanoutScenario(ctx)];
}
