// What the tracing-cost benches share: their set-up and clean-up, the OTLP sink they export to,
// the two endpoints they measure, the warm-up and the CPU time of a batch of requests.
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import os from 'node:os';
import {
  apiEnv,
  cpuSeconds,
  deleteRedisKeys,
  json,
  load,
  option,
  scratchDatabase,
  seed,
  startProcess,
} from './lib.mjs';

/** The api's `--import` that turns tracing on when an OTLP endpoint is set. */
export const TELEMETRY_PRELOAD = ['--import', './dist/infra/telemetry/preload.js'];

/**
 * Requests per api and endpoint before measuring (about 8 s each on a quiet machine). Enough for
 * the sampled path, which at 10 % runs ten times less often, to be optimized: after 1,000
 * requests it had not been, and 10 % then cost nearly what 100 % did (cached read 1.20 vs 1.25,
 * results/tracing-cost-2026-12-03.md).
 */
export const WARMUP = { get: Number(option('warmup-get', 30000)), list: Number(option('warmup-list', 10000)) };

/** otlp-discard.mjs on the load generator's core: the apis pay for sending spans, not a backend. */
export function startOtlpSink(port) {
  return startProcess({
    script: 'tools/bench/otlp-discard.mjs',
    env: { PORT: String(port) },
    cpu: os.cpus().length - 1,
    readyUrl: `http://127.0.0.1:${port}/ready`,
  });
}

/** The variables that send an api's spans to the sink on `port`. */
export function sinkEnv(port) {
  return { OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}` };
}

/**
 * Builds dist/, seeds a scratch database with `items` items and starts the sink on `sinkPort`,
 * then runs `measure` with `apiEnvFor(port, extra)`: an api's environment on that database and
 * port, event-loop shedding off (a saturated api must not answer 503). Cleans up whatever
 * happens and returns what `measure` returns.
 */
export async function runTracingBench({ label, items, sinkPort }, measure) {
  execFileSync('npx', ['tsc', '-p', 'tsconfig.json'], { stdio: 'inherit' });
  const db = await scratchDatabase(label);
  const uploadDir = `.tmp/${label}-${process.pid}`;
  let sink;
  try {
    seed(db.url, items);
    sink = await startOtlpSink(sinkPort);
    return await measure({
      apiEnvFor: (port, extra = {}) => ({
        ...apiEnv({ databaseUrl: db.url, port, uploadDir }),
        MAX_EVENT_LOOP_DELAY: '0',
        ...extra,
      }),
    });
  } finally {
    await sink?.stop();
    await db.drop();
    rmSync(uploadDir, { recursive: true, force: true });
    await deleteRedisKeys(`bench:${process.pid}:`).catch(() => {});
  }
}

/** The cached item read and the list's first page (`get`, `list`), on any of the apis. */
export async function tracingEndpoints(url) {
  const itemId = (await json(`${url}/api/v1/items?limit=1`)).items[0].id;
  return { get: `/api/v1/items/${itemId}`, list: '/api/v1/items?limit=20' };
}

/** Serves WARMUP's requests on each endpoint of each api: caches, pools and code warm. */
export async function warmUp(urls, endpoints) {
  for (const url of urls)
    for (const [name, path] of Object.entries(endpoints))
      await load({ url: `${url}${path}`, amount: WARMUP[name], connections: 4 });
}

/** µs of the api's CPU (user + system) per request over `amount` requests; any failure throws. */
export async function cpuPerRequest(api, url, amount) {
  const before = cpuSeconds(api.pid);
  const result = await load({ url, amount, connections: 4 });
  if (result.non2xx + result.errors + result.timeouts > 0) throw new Error(`${url}: failed requests`);
  return ((cpuSeconds(api.pid) - before) / amount) * 1e6;
}
