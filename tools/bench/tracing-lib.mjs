// What the tracing-cost benches share: the OTLP sink they export to, the two endpoints they
// measure, the warm-up and the CPU time of a batch of requests.
import os from 'node:os';
import { cpuSeconds, json, load, option, startProcess } from './lib.mjs';

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
