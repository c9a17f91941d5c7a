#!/usr/bin/env node
// The cost of sampling, measured inside one process. tracing-cpu.mjs compares separate api
// processes, and one process differs from the next by ±20-30 % CPU per request here (JIT
// decisions, memory layout), more than the effect it looks for. Here one traced api runs the
// whole round and tools/bench/sampling-switch.mjs changes its sampling ratio between slices of
// requests (0 % and 10 % by default, alternating), so the ratio of 10 % to 0 % is free of that
// luck. A plain api (no preload) runs beside it, sliced in turn, for the cost of tracing being on
// at all, which only a second process can show. Its first runs found the slices within one
// process as spread out as processes are (results/tracing-cost-2026-12-03.md): here the
// machine's drift, more than the process's luck, is the noise.
// Each round starts both apis afresh and warms them up at the highest ratio measured (the sampled
// path is optimized as in a service that has run at it); the report gives, per endpoint, each
// ratio's mean over the rounds with a 95 % confidence interval.
//   node tools/bench/tracing-paired.mjs [--rounds 5] [--slices 6] [--requests 4000]
//     [--ratios 0,0.1] [--items 2000] [--warmup-get 30000] [--warmup-list 10000]
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { startApi } from './api-process.mjs';
import { API_NODE_ARGS, log, meanInterval, median, option, sleep, summary } from './lib.mjs';
import {
  cpuPerRequest,
  runTracingBench,
  sinkEnv,
  TELEMETRY_PRELOAD,
  tracingEndpoints,
  warmUp,
} from './tracing-lib.mjs';

const ROUNDS = Number(option('rounds', 5));
const SLICES = Number(option('slices', 6));
const REQUESTS = Number(option('requests', 4000));
const ITEMS = Number(option('items', 2000));
const RATIOS = String(option('ratios', '0,0.1')).split(',').map(Number);
const SINK_PORT = 3949;
const percent = (ratio) => `${ratio * 100} %`;
/** Each sampled ratio over the lowest (same process), and every ratio over the plain api. */
const comparisons = [
  ...RATIOS.slice(1).map((ratio) => [percent(ratio), percent(RATIOS[0])]),
  ...RATIOS.map((ratio) => [percent(ratio), 'plain']),
];
const samplingFile = `.tmp/bench-sampling-${process.pid}`;

/** Sets the traced api's sampling ratio; the api handles the signal on its next turn, well within 200 ms. */
async function setRatio(api, ratio) {
  writeFileSync(samplingFile, String(ratio));
  api.child.kill('SIGWINCH');
  await sleep(200);
}

mkdirSync('.tmp', { recursive: true });
const highest = Math.max(...RATIOS);
/**
 * Per endpoint and pair of variants (`10 % / 0 %`), one figure per round: the median over that
 * round's slices of the ratio between the two variants' back-to-back slices, which share the
 * machine's moment: a slow few seconds weigh on both.
 */
const pairedRatios = await runTracingBench(
  { label: 'bench-tracing-paired', items: ITEMS, sinkPort: SINK_PORT },
  async ({ apiEnvFor }) => {
    const byEndpoint = {};
    for (let round = 1; round <= ROUNDS; round++) {
      writeFileSync(samplingFile, String(highest));
      const apis = [
        { api: await startApi(apiEnvFor(3941)), url: 'http://127.0.0.1:3941' },
        {
          api: await startApi(
            apiEnvFor(3942, {
              ...sinkEnv(SINK_PORT),
              OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
              OTEL_TRACES_SAMPLER_ARG: String(highest),
              BENCH_SAMPLING_FILE: samplingFile,
            }),
            { nodeArgs: [...API_NODE_ARGS, ...TELEMETRY_PRELOAD, '--import', './tools/bench/sampling-switch.mjs'] },
          ),
          url: 'http://127.0.0.1:3942',
        },
      ];
      try {
        const endpoints = await tracingEndpoints(apis[0].url);
        await warmUp(
          apis.map(({ url }) => url),
          endpoints,
        );
        const variants = [{ key: 'plain' }, ...RATIOS.map((ratio) => ({ key: percent(ratio), ratio }))];
        for (const [name, path] of Object.entries(endpoints)) {
          const slices = {};
          for (let slice = 0; slice < SLICES; slice++)
            for (const variant of slice % 2 ? [...variants].reverse() : variants) {
              const { api, url } = variant.ratio === undefined ? apis[0] : apis[1];
              if (variant.ratio !== undefined) await setRatio(api, variant.ratio);
              (slices[variant.key] ??= []).push(await cpuPerRequest(api, `${url}${path}`, REQUESTS));
            }
          for (const [key, values] of Object.entries(slices)) {
            const { median: us, min, max } = summary(values);
            log(
              `round ${round} ${name} ${key}: ${us.toFixed(0)} µs CPU per request (slices ${min.toFixed(0)}-${max.toFixed(0)})`,
            );
          }
          for (const [variant, over] of comparisons) {
            const ratio = median(slices[variant].map((value, slice) => value / slices[over][slice]));
            ((byEndpoint[name] ??= {})[`${variant} / ${over}`] ??= []).push(ratio);
          }
        }
      } finally {
        for (const { api } of apis) await api.stop();
      }
    }
    return byEndpoint;
  },
).finally(() => rmSync(samplingFile, { force: true }));

console.log('\n| endpoint | ratio | in one process | mean over rounds, 95 % confidence interval |\n|---|---|---|---|');
for (const [name, byPair] of Object.entries(pairedRatios))
  for (const [variant, over] of comparisons) {
    const { mean, low, high } = meanInterval(byPair[`${variant} / ${over}`]);
    const same = over === 'plain' ? 'no' : 'yes';
    console.log(
      `| ${name} | ${variant} / ${over} | ${same} | ${mean.toFixed(3)} (${low.toFixed(3)}-${high.toFixed(3)}) |`,
    );
  }
