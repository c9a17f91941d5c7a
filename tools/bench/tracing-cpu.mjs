#!/usr/bin/env node
// CPU time per request of the api with tracing off / on at 10 % / on at 100 %, against the api
// without the preload: the api's own user+system CPU (/proc/<pid>/stat) over a fixed number of
// requests, which a busy machine disturbs far less than a throughput figure. Rounds interleave
// the variants; the report gives median and min-max per variant and endpoint.
//   node tools/bench/tracing-cpu.mjs [--requests 3000] [--rounds 3] [--items 2000]
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import os from 'node:os';
import { startApi } from './api-process.mjs';
import {
  API_NODE_ARGS,
  apiEnv,
  cpuSeconds,
  deleteRedisKeys,
  json,
  load,
  log,
  option,
  scratchDatabase,
  seed,
  startProcess,
  summary,
} from './lib.mjs';

const REQUESTS = Number(option('requests', 3000));
const ROUNDS = Number(option('rounds', 3));
const ITEMS = Number(option('items', 2000));
const SINK_PORT = 3929;
const PRELOAD = ['--import', './dist/infra/telemetry/preload.js'];
const sink = { OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${SINK_PORT}` };
const VARIANTS = [
  { key: 'plain', nodeArgs: API_NODE_ARGS, env: {} },
  { key: 'off', nodeArgs: [...API_NODE_ARGS, ...PRELOAD], env: {} },
  // On, sampling nothing: what an unsampled request costs.
  {
    key: '0pct',
    nodeArgs: [...API_NODE_ARGS, ...PRELOAD],
    env: { ...sink, OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0' },
  },
  {
    key: '10pct',
    nodeArgs: [...API_NODE_ARGS, ...PRELOAD],
    env: { ...sink, OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.1' },
  },
  { key: '100pct', nodeArgs: [...API_NODE_ARGS, ...PRELOAD], env: { ...sink, OTEL_TRACES_SAMPLER: 'always_on' } },
];

execFileSync('npx', ['tsc', '-p', 'tsconfig.json'], { stdio: 'inherit' });
const db = await scratchDatabase('bench-tracing');
const uploadDir = `.tmp/bench-tracing-${process.pid}`;
const processes = [];
try {
  seed(db.url, ITEMS);
  processes.push(
    await startProcess({
      script: 'tools/bench/otlp-discard.mjs',
      env: { PORT: String(SINK_PORT) },
      cpu: os.cpus().length - 1,
      readyUrl: `http://127.0.0.1:${SINK_PORT}/ready`,
    }),
  );
  const apis = [];
  let port = 3921;
  for (const variant of VARIANTS) {
    const env = { ...apiEnv({ databaseUrl: db.url, port, uploadDir }), MAX_EVENT_LOOP_DELAY: '0', ...variant.env };
    const api = await startApi(env, { nodeArgs: variant.nodeArgs });
    processes.push(api);
    apis.push({ ...variant, api, url: `http://127.0.0.1:${port}` });
    port++;
  }
  const itemId = (await json(`${apis[0].url}/api/v1/items?limit=1`)).items[0].id;
  const endpoints = { get: `/api/v1/items/${itemId}`, list: '/api/v1/items?limit=20' };
  const cpu = {};
  for (const { url } of apis)
    for (const path of Object.values(endpoints)) await load({ url: `${url}${path}`, amount: 300, connections: 4 });
  for (let round = 1; round <= ROUNDS; round++)
    for (const [name, path] of Object.entries(endpoints))
      for (const { key, api, url } of round % 2 ? apis : [...apis].reverse()) {
        const before = cpuSeconds(api.pid);
        const result = await load({ url: `${url}${path}`, amount: REQUESTS, connections: 4 });
        if (result.non2xx + result.errors + result.timeouts > 0) throw new Error(`${key} ${path}: failed requests`);
        const perRequestUs = ((cpuSeconds(api.pid) - before) / REQUESTS) * 1e6;
        (cpu[`${name} ${key}`] ??= []).push(perRequestUs);
        log(`round ${round} ${name} ${key}: ${perRequestUs.toFixed(0)} µs CPU per request`);
      }
  console.log('\n| endpoint | variant | CPU µs/request median (min-max) | vs plain (median) |\n|---|---|---|---|');
  for (const name of Object.keys(endpoints)) {
    const plain = summary(cpu[`${name} plain`]).median;
    for (const { key } of VARIANTS) {
      const s = summary(cpu[`${name} ${key}`]);
      console.log(
        `| ${name} | ${key} | ${s.median.toFixed(0)} (${s.min.toFixed(0)}-${s.max.toFixed(0)}) | ${((s.median / plain - 1) * 100).toFixed(0)} % |`,
      );
    }
  }
  // Each round's figure over the plain api's of the same round: cancels most of a drifting machine.
  console.log('\n| endpoint | variant | paired ratio to plain, median (min-max) |\n|---|---|---|');
  for (const name of Object.keys(endpoints))
    for (const { key } of VARIANTS.slice(1)) {
      const s = summary(cpu[`${name} ${key}`].map((value, round) => value / cpu[`${name} plain`][round]));
      console.log(`| ${name} | ${key} | ${s.median.toFixed(2)} (${s.min.toFixed(2)}-${s.max.toFixed(2)}) |`);
    }
} finally {
  for (const p of processes.reverse()) await p.stop();
  await db.drop();
  rmSync(uploadDir, { recursive: true, force: true });
  await deleteRedisKeys(`bench:${process.pid}:`).catch(() => {});
}
