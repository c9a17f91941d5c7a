#!/usr/bin/env node
// Profiles the built api under one load: starts `node --cpu-prof dist/server.js` pinned to core 0
// (this process, the load generator, pinned to the last core), drives `--path` with autocannon
// for `--duration` seconds, stops the api (the profile is written on exit) and prints the
// functions with the most self time, so a missed target can be explained with data.
//
//   npm run -s build && node tools/bench/profile.mjs --database-url postgresql://.../bench_dev \
//     --path /api/v1/items/1 [--method POST --body '{...}' --auth] [--duration 10] [--top 30]
//     [--api-env CACHE_LOCAL_TTL=0,RATE_LIMIT_BATCH=1] (variables for the api: compare settings)
//
// The database must hold the seeded data (`npm run db:seed -- --items 100000`) and the bench
// admin (ADMIN_EMAIL=bench-admin@example.com ADMIN_PASSWORD=bench-admin-password). The
// profile is kept in .tmp/profiles/ for chrome://inspect or speedscope.
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { apiEnv, option } from './api-process.mjs';
import { API_NODE_ARGS, deleteRedisKeys, json, load, log, median, pinSelf, startProcess } from './lib.mjs';

const DATABASE_URL = option('database-url', process.env.DATABASE_URL);
const PATH = option('path', '/api/v1/items/1');
const METHOD = option('method', 'GET');
const BODY = option('body', undefined);
const DURATION = Number(option('duration', 10));
const TOP = Number(option('top', 30));
const CONNECTIONS = Number(option('connections', 20));
const PORT = 3931;
/** `--no-prof`: no profiler, just the rate (median of --repeat runs), to compare two builds. */
const PROFILE = option('no-prof', false) !== true;
const REPEAT = Number(option('repeat', 1));
if (!DATABASE_URL) throw new Error('--database-url (or DATABASE_URL) is required');

/** Self time per function (file:line) from a .cpuprofile, largest first. */
export function selfTimes(profile) {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const ticks = new Map();
  for (let i = 0; i < profile.samples.length; i++) {
    const node = byId.get(profile.samples[i]);
    const dt = profile.timeDeltas[i] ?? 0;
    const { functionName, url, lineNumber } = node.callFrame;
    const key = `${functionName || '(anonymous)'} ${url.replace(/^file:\/\/.*?node_modules\//, '').replace(/^file:\/\/\/work\/main\//, '')}:${lineNumber + 1}`;
    ticks.set(key, (ticks.get(key) ?? 0) + dt);
  }
  const total = [...ticks.values()].reduce((a, b) => a + b, 0);
  return {
    total,
    rows: [...ticks.entries()]
      .sort((a, b) => b[1] - a[1])
      .map(([name, us]) => ({ name, ms: us / 1000, share: us / total })),
  };
}

async function main() {
  pinSelf();
  const dir = `.tmp/profiles/${Date.now()}`;
  mkdirSync(dir, { recursive: true });
  const env = apiEnv({
    databaseUrl: DATABASE_URL,
    port: PORT,
    uploadDir: '.tmp/bench-profile-uploads',
    extra: {
      LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'info',
      RATE_LIMIT_MAX: '1000000',
      ...(option('api-node-options', '') ? { NODE_OPTIONS: option('api-node-options', '') } : {}),
      ...Object.fromEntries(
        String(option('api-env', ''))
          .split(',')
          .filter(Boolean)
          .map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]),
      ),
    },
  });
  const api = await startProcess({
    script: 'dist/server.js',
    nodeArgs: [...API_NODE_ARGS, ...(PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${dir}`] : [])],
    env,
    cpu: 0,
    readyUrl: `http://127.0.0.1:${PORT}/health/ready`,
  });
  try {
    const base = `http://127.0.0.1:${PORT}`;
    const headers = {};
    if (BODY) headers['content-type'] = 'application/json';
    if (option('auth', false) === true) {
      const tokens = await json(`${base}/api/v1/auth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'bench-admin@example.com', password: 'bench-admin-password' }),
      });
      headers.authorization = `Bearer ${tokens.access_token}`;
    }
    await load({ url: base + PATH, method: METHOD, headers, body: BODY, duration: 2, connections: CONNECTIONS }); // warm-up
    const rates = [];
    for (let run = 0; run < REPEAT; run++) {
      const result = await load({
        url: base + PATH,
        method: METHOD,
        headers,
        body: BODY,
        duration: DURATION,
        connections: CONNECTIONS,
      });
      rates.push(result.requests.average);
      log(
        `${METHOD} ${PATH}: ${result.requests.average.toFixed(0)} req/s, p99 ${result.latency.p99} ms, ${result.non2xx} non-2xx, ${result.errors} errors`,
      );
    }
    if (REPEAT > 1)
      log(
        `median ${median(rates).toFixed(0)} req/s (${Math.min(...rates).toFixed(0)}–${Math.max(...rates).toFixed(0)})`,
      );
  } finally {
    await api.stop();
    await deleteRedisKeys(env.REDIS_PREFIX);
  }
  if (!PROFILE) return;
  const file = readdirSync(dir).find((name) => name.endsWith('.cpuprofile'));
  if (!file) throw new Error(`no profile written in ${dir}`);
  const { total, rows } = selfTimes(JSON.parse(readFileSync(`${dir}/${file}`, 'utf8')));
  log(`profile ${dir}/${file}: ${(total / 1e6).toFixed(1)} s sampled; top ${TOP} by self time:`);
  for (const row of rows.slice(0, TOP))
    process.stdout.write(
      `${(row.share * 100).toFixed(1).padStart(5)} %  ${row.ms.toFixed(0).padStart(6)} ms  ${row.name}\n`,
    );
}

await main();
