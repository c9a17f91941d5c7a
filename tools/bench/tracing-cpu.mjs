#!/usr/bin/env node
// CPU time per request of the api with tracing off / on sampling nothing / on at 10 % / on at
// 100 %, against the api without the preload: the api's own user+system CPU (/proc/<pid>/stat) over a fixed number of
// requests, which a busy machine disturbs far less than a throughput figure. Rounds interleave
// the variants, and each round starts every api afresh: two processes of the same build differed
// by up to ±10 % CPU per request here (JIT decisions, memory layout), more than the effect
// measured, so one process per variant for the whole run would report its luck. The report gives
// median and min-max per variant, and each variant's ratio to the plain api of the same round
// with a 95 % confidence interval of its mean.
// About 2 minutes per round; the defaults are the README's run.
//   node tools/bench/tracing-cpu.mjs [--requests 6000] [--rounds 7] [--items 2000]
//     [--warmup-get 30000] [--warmup-list 10000]
import { startApi } from './api-process.mjs';
import { API_NODE_ARGS, log, meanInterval, option, summary } from './lib.mjs';
import {
  cpuPerRequest,
  runTracingBench,
  sinkEnv,
  TELEMETRY_PRELOAD,
  tracingEndpoints,
  warmUp,
} from './tracing-lib.mjs';

const REQUESTS = Number(option('requests', 6000));
const ROUNDS = Number(option('rounds', 7));
const ITEMS = Number(option('items', 2000));
const SINK_PORT = 3929;
const sink = sinkEnv(SINK_PORT);
const VARIANTS = [
  { key: 'plain', nodeArgs: API_NODE_ARGS, env: {} },
  { key: 'off', nodeArgs: [...API_NODE_ARGS, ...TELEMETRY_PRELOAD], env: {} },
  // On, sampling nothing: what an unsampled request costs.
  {
    key: '0pct',
    nodeArgs: [...API_NODE_ARGS, ...TELEMETRY_PRELOAD],
    env: { ...sink, OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0' },
  },
  {
    key: '10pct',
    nodeArgs: [...API_NODE_ARGS, ...TELEMETRY_PRELOAD],
    env: { ...sink, OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.1' },
  },
  {
    key: '100pct',
    nodeArgs: [...API_NODE_ARGS, ...TELEMETRY_PRELOAD],
    // A queue deep enough that the batch processor never drops a span (a dropped span costs no
    // export, so an overflowing default queue would flatter the row).
    env: { ...sink, OTEL_TRACES_SAMPLER: 'always_on', OTEL_BSP_MAX_QUEUE_SIZE: '100000' },
  },
];

/** Every variant's api, freshly started, each on its own port. */
async function startApis(apiEnvFor) {
  const apis = [];
  let port = 3921;
  for (const variant of VARIANTS) {
    apis.push({
      ...variant,
      api: await startApi(apiEnvFor(port, variant.env), { nodeArgs: variant.nodeArgs }),
      url: `http://127.0.0.1:${port}`,
    });
    port++;
  }
  return apis;
}

/** µs of CPU per request, per endpoint and variant (`get 10pct`), one figure per round. */
const cpu = await runTracingBench(
  { label: 'bench-tracing', items: ITEMS, sinkPort: SINK_PORT },
  async ({ apiEnvFor }) => {
    const measured = {};
    for (let round = 1; round <= ROUNDS; round++) {
      const apis = await startApis(apiEnvFor);
      try {
        const endpoints = await tracingEndpoints(apis[0].url);
        await warmUp(
          apis.map(({ url }) => url),
          endpoints,
        );
        for (const [name, path] of Object.entries(endpoints))
          for (const { key, api, url } of round % 2 ? apis : [...apis].reverse()) {
            const perRequestUs = await cpuPerRequest(api, `${url}${path}`, REQUESTS);
            (measured[`${name} ${key}`] ??= []).push(perRequestUs);
            log(`round ${round} ${name} ${key}: ${perRequestUs.toFixed(0)} µs CPU per request`);
          }
      } finally {
        for (const { api } of apis) await api.stop();
      }
    }
    return measured;
  },
);

const endpointNames = ['get', 'list'];
console.log('\n| endpoint | variant | CPU µs/request median (min-max) | vs plain (median) |\n|---|---|---|---|');
for (const name of endpointNames) {
  const plain = summary(cpu[`${name} plain`]).median;
  for (const { key } of VARIANTS) {
    const s = summary(cpu[`${name} ${key}`]);
    console.log(
      `| ${name} | ${key} | ${s.median.toFixed(0)} (${s.min.toFixed(0)}-${s.max.toFixed(0)}) | ${((s.median / plain - 1) * 100).toFixed(0)} % |`,
    );
  }
}
// Each round's figure over the plain api's of the same round: cancels most of a drifting machine.
console.log(
  '\n| endpoint | variant | paired ratio to plain, median (min-max) | mean, 95 % confidence interval |\n|---|---|---|---|',
);
for (const name of endpointNames)
  for (const { key } of VARIANTS.slice(1)) {
    const ratios = cpu[`${name} ${key}`].map((value, round) => value / cpu[`${name} plain`][round]);
    const s = summary(ratios);
    const { mean, low, high } = meanInterval(ratios);
    console.log(
      `| ${name} | ${key} | ${s.median.toFixed(2)} (${s.min.toFixed(2)}-${s.max.toFixed(2)}) | ${mean.toFixed(3)} (${low.toFixed(3)}-${high.toFixed(3)}) |`,
    );
  }
