#!/usr/bin/env node
// CPU time per request of the built api, for comparing settings (or builds) on a machine that is
// busy with other work. Request rates drop with every other process on the api's core; the api's
// own CPU time per request (utime + stime from /proc, divided by the requests answered) moves
// far less, and on one core the rate it allows is its inverse. Each variant starts its own api
// pinned to core 0, takes a warm-up, then `--duration` seconds of autocannon load; variants and
// the bare-Fastify baseline (same JSON, tools/bench/baseline-server.mjs) run interleaved for
// `--rounds` rounds; medians and min–max are printed (and the ratio baseline / variant, the
// bench's ratio in CPU terms).
//
//   npm run -s build && node tools/bench/cpu-per-request.mjs --database-url postgresql://.../db \
//     --path /api/v1/items/1 --variant before=CACHE_LOCAL_TTL=0,RATE_LIMIT_BATCH=1 \
//     --variant after= [--rounds 3] [--duration 4]
import { apiEnv } from './api-process.mjs';
import { API_NODE_ARGS, cpuSeconds, deleteRedisKeys, load, log, pinSelf, startProcess, summary } from './lib.mjs';

const args = process.argv.slice(2);
const value = (name, fallback) => {
  const index = args.indexOf(`--${name}`);
  return index === -1 ? fallback : args[index + 1];
};
const DATABASE_URL = value('database-url', process.env.DATABASE_URL);
const PATH = value('path', '/api/v1/items/1');
const ROUNDS = Number(value('rounds', 3));
const DURATION = Number(value('duration', 4));
const CONNECTIONS = Number(value('connections', 20));
const PORT = 3941;
const BASELINE_PORT = 3942;
if (!DATABASE_URL) throw new Error('--database-url (or DATABASE_URL) is required');

/** `--variant name=K=V,K=V` (repeatable): the api's extra variables per variant. */
const variants = args
  .flatMap((arg, i) => (arg === '--variant' ? [args[i + 1]] : []))
  .map((spec) => {
    const name = spec.slice(0, spec.indexOf('='));
    const pairs = spec
      .slice(spec.indexOf('=') + 1)
      .split(',')
      .filter(Boolean);
    return {
      name,
      env: Object.fromEntries(pairs.map((p) => [p.slice(0, p.indexOf('=')), p.slice(p.indexOf('=') + 1)])),
    };
  });
if (variants.length === 0) variants.push({ name: 'as built', env: {} });

async function measure(start, url) {
  const server = await start();
  try {
    await load({ url, duration: 2, connections: CONNECTIONS }); // warm-up
    const before = cpuSeconds(server.pid);
    const result = await load({ url, duration: DURATION, connections: CONNECTIONS });
    const cpu = cpuSeconds(server.pid) - before;
    const requests = result.requests.total;
    if (result.non2xx > 0 || result.errors > 0)
      throw new Error(`${url}: ${result.non2xx} non-2xx, ${result.errors} errors`);
    return { usPerRequest: (cpu * 1e6) / requests, rate: result.requests.average };
  } finally {
    await server.stop();
  }
}

async function main() {
  pinSelf();
  const startApi = (extra) => () =>
    startProcess({
      script: 'dist/server.js',
      nodeArgs: API_NODE_ARGS,
      env: apiEnv({
        databaseUrl: DATABASE_URL,
        port: PORT,
        uploadDir: '.tmp/bench-cpu-uploads',
        extra: { RATE_LIMIT_MAX: '1000000', ...extra },
      }),
      cpu: 0,
      readyUrl: `http://127.0.0.1:${PORT}/health/ready`,
    });
  const startBaseline = () =>
    startProcess({
      script: 'tools/bench/baseline-server.mjs',
      env: { PORT: String(BASELINE_PORT), DATABASE_URL },
      cpu: 0,
      readyUrl: `http://127.0.0.1:${BASELINE_PORT}/health`,
    });
  const baselinePath = PATH.replace('/api/v1', '');
  const sides = [
    { name: 'bare Fastify', run: () => measure(startBaseline, `http://127.0.0.1:${BASELINE_PORT}${baselinePath}`) },
    ...variants.map((v) => ({ name: v.name, run: () => measure(startApi(v.env), `http://127.0.0.1:${PORT}${PATH}`) })),
  ];
  const results = new Map(sides.map((s) => [s.name, []]));
  for (let round = 1; round <= ROUNDS; round++) {
    // Rotate the order each round so drift does not favour one side.
    const order = sides.map((_, i) => sides[(i + round - 1) % sides.length]);
    for (const side of order) {
      const r = await side.run();
      results.get(side.name).push(r);
      log(`round ${round} ${side.name}: ${r.usPerRequest.toFixed(1)} µs CPU/request, ${r.rate.toFixed(0)} req/s`);
    }
  }
  const base = summary(results.get('bare Fastify').map((r) => r.usPerRequest));
  for (const [name, runs] of results) {
    const us = summary(runs.map((r) => r.usPerRequest));
    const rate = summary(runs.map((r) => r.rate));
    log(
      `${name}: ${us.median.toFixed(1)} µs CPU/request (${us.min.toFixed(1)}–${us.max.toFixed(1)}), ` +
        `${rate.median.toFixed(0)} req/s (${rate.min.toFixed(0)}–${rate.max.toFixed(0)}), ` +
        `CPU ratio bare/this ${(base.median / us.median).toFixed(2)}`,
    );
  }
  await deleteRedisKeys(`bench:${process.pid}:`).catch(() => {});
}

await main();
