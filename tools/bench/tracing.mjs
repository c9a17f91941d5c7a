// The cost of tracing (issue 17): the cached item read and the list, each measured on an api
// with the telemetry preload and no endpoint (tracing off), with tracing on at 10 % sampling
// (parentbased_traceidratio 0.1) and at 100 %, against the plain api of the run (no preload)
// as the baseline, interleaved round by round like every scenario. Spans go to a local OTLP
// sink that discards them (otlp-discard.mjs), in http/protobuf, with the SDK's default batching.
// Goals (reported): off costs nothing measurable (ratio ~1 within the noise), 10 % costs < 10 %.
import os from 'node:os';
import { startApi } from './api-process.mjs';
import { API_NODE_ARGS, load, startProcess } from './lib.mjs';

const SINK_PORT = 3919;
const PRELOAD = ['--import', './dist/infra/telemetry/preload.js'];

const VARIANTS = [
  { key: 'off', label: 'tracing off (preload, no endpoint)', env: {}, target: 0.97 },
  {
    key: '10pct',
    label: 'tracing on, 10 % sampled',
    env: { OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.1' },
    target: 0.9,
  },
  {
    key: '100pct',
    label: 'tracing on, every request sampled',
    env: { OTEL_TRACES_SAMPLER: 'always_on' },
    target: null,
  },
];

async function rate(ctx, url) {
  const result = await load({ connections: ctx.connections, duration: ctx.duration, url });
  const bad = result.non2xx + result.errors + result.timeouts;
  if (bad > 0) throw new Error(`${url}: ${bad} failed requests`);
  return result.requests.average;
}

export function tracingScenarios(ctx) {
  const { apiUrl, itemId, apiProcessEnv } = ctx;
  let sink;
  const apis = new Map();
  const urlOf = (key) => `http://127.0.0.1:${apis.get(key).port}`;
  const endpoints = [
    { key: 'get', title: 'GET /api/v1/items/:id (cached)', path: `/api/v1/items/${itemId}` },
    { key: 'list', title: 'GET /api/v1/items?limit=20', path: '/api/v1/items?limit=20' },
  ];
  const scenarios = [];
  let port = 3911;
  for (const variant of VARIANTS) {
    const apiPort = port++;
    for (const endpoint of endpoints) {
      scenarios.push({
        name: `tracing-${variant.key}-${endpoint.key}`,
        title: `${endpoint.title}, ${variant.label}`,
        baseline: 'the same api without the telemetry preload',
        unit: 'req/s',
        target: variant.target,
        // One api per variant (started by whichever of its scenarios runs first), pinned to
        // core 0 like the baseline; the sink runs while any traced api does.
        setup: async () => {
          if (apis.has(variant.key)) return;
          if (!sink && variant.key !== 'off')
            sink = await startProcess({
              script: 'tools/bench/otlp-discard.mjs',
              env: { PORT: String(SINK_PORT) },
              cpu: os.cpus().length - 1,
              readyUrl: `http://127.0.0.1:${SINK_PORT}/ready`,
            });
          const env = {
            ...apiProcessEnv,
            PORT: String(apiPort),
            ...(variant.key === 'off'
              ? {}
              : { OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${SINK_PORT}`, ...variant.env }),
          };
          const api = await startApi(env, { nodeArgs: [...API_NODE_ARGS, ...PRELOAD] });
          apis.set(variant.key, { port: apiPort, api });
          await fetch(`${urlOf(variant.key)}${endpoints[0].path}`); // warm the cache
        },
        teardown: async () => {
          const running = apis.get(variant.key);
          if (!running) return;
          apis.delete(variant.key);
          await running.api.stop();
          if (![...apis.keys()].some((key) => key !== 'off')) {
            await sink?.stop();
            sink = undefined;
          }
        },
        subject: () => rate(ctx, `${urlOf(variant.key)}${endpoint.path}`),
        base: () => rate(ctx, `${apiUrl}${endpoint.path}`),
      });
    }
  }
  return scenarios;
}
