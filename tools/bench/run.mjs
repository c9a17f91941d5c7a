#!/usr/bin/env node
// `npm run bench`: every scenario against its baseline, measured in the same run, interleaved
// over several rounds (median, min and max of the ratios), written to tools/bench/results/<date>.md
// and .json, and to latest.md, latest.json and latest.svg (the chart the README embeds).
//
// Options: --rounds 5  --duration 5 (seconds per HTTP measurement)  --items 100000 (seeded)
//          --connections 20  --only name,name (scenario names, optional ones included)
//          --ws (add the optional WebSocket fan-out)  --no-write (print, write no files)
//          --scale [--scale-sizes 10000,100000]: the list queries at growing sizes instead (scale.mjs)
//
// Placement on the machine: the api, its worker and the bare-Fastify baseline are pinned to
// core 0; this process, the load generator (autocannon runs in it, one thread), to the last
// core; PostgreSQL and Redis are not pinned. The login scenario gives the api every core.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { pathToFileURL } from 'node:url';
import bcrypt from 'bcrypt';
import { startApi, startWorker } from './api-process.mjs';
import { renderChart } from './chart.mjs';
import {
  ADMIN,
  machineMeta,
  apiEnv,
  bearerFor,
  deleteRedisKeys,
  json,
  log,
  option,
  pinSelf,
  scratchDatabase,
  seed,
  startProcess,
  summary,
} from './lib.mjs';
import { extraScenarios, httpScenarios } from './scenarios.mjs';
import { tracingScenarios } from './tracing.mjs';

const ROUNDS = Number(option('rounds', 5));
const DURATION = Number(option('duration', 5));
const ITEMS = Number(option('items', 100_000));
const CONNECTIONS = Number(option('connections', 20));
const BCRYPT_COST = Number(process.env.BCRYPT_COST ?? 12); // the app's default
const API_PORT = 3901;
const BASELINE_PORT = 3902;

/** Mean time of one bcrypt compare at the configured cost, measured here and now. */
async function bcryptCompareSeconds() {
  const hash = await bcrypt.hash('bench-password', BCRYPT_COST);
  const runs = 10;
  const started = process.hrtime.bigint();
  for (let i = 0; i < runs; i++) await bcrypt.compare('bench-password', hash);
  return Number(process.hrtime.bigint() - started) / 1e9 / runs;
}

function selected(scenarios, only, withWs) {
  if (only.length > 0) {
    const unknown = only.filter((name) => !scenarios.some((s) => s.name === name));
    if (unknown.length > 0)
      throw new Error(`unknown scenario(s): ${unknown.join(', ')}; known: ${scenarios.map((s) => s.name).join(', ')}`);
    return scenarios.filter((s) => only.includes(s.name));
  }
  return scenarios.filter((s) => !s.optional || (withWs && s.name === 'ws-fanout'));
}

export async function runBench({ only = option('only', '').split(',').filter(Boolean) } = {}) {
  pinSelf();
  log(
    `bench: ${ROUNDS} rounds, ${DURATION}s per HTTP measurement, ${ITEMS} items, node ${process.version}, ${os.cpus().length} × ${os.cpus()[0]?.model}, LOG_LEVEL=${process.env.BENCH_LOG_LEVEL ?? 'info'}`,
  );
  log('build: tsc');
  execFileSync('npx', ['tsc', '-p', 'tsconfig.json'], { stdio: 'inherit' });
  const db = await scratchDatabase('bench');
  const uploadDir = `.tmp/bench-uploads-${process.pid}`;
  const processes = [];
  const started = [];
  try {
    log(`seed: npm run db:seed -- --items ${ITEMS} (into ${db.name})`);
    seed(db.url, ITEMS, { BCRYPT_COST: String(BCRYPT_COST) });
    const env = apiEnv({
      databaseUrl: db.url,
      port: API_PORT,
      uploadDir,
      extra: { BCRYPT_COST: String(BCRYPT_COST), MAX_UPLOAD_BYTES: String(300 * 1024 * 1024) },
    });
    const api = await startApi(env);
    processes.push(api);
    processes.push(
      await startProcess({
        script: 'tools/bench/baseline-server.mjs',
        env: { PORT: String(BASELINE_PORT), DATABASE_URL: db.url },
        cpu: 0,
        readyUrl: `http://127.0.0.1:${BASELINE_PORT}/health`,
      }),
    );
    const apiUrl = `http://127.0.0.1:${API_PORT}`;
    const baseUrl = `http://127.0.0.1:${BASELINE_PORT}`;

    const auth = await bearerFor(apiUrl);
    const itemId = (await json(`${apiUrl}/api/v1/items?limit=1`)).items[0].id;
    await fetch(`${apiUrl}/api/v1/items/${itemId}`); // warm the cache
    const compareSeconds = await bcryptCompareSeconds();
    log(`bcrypt cost ${BCRYPT_COST}: ${(compareSeconds * 1000).toFixed(1)} ms per compare`);
    const ctx = {
      apiUrl,
      baseUrl,
      api,
      auth,
      db,
      itemId,
      compareSeconds,
      apiProcessEnv: env,
      duration: DURATION,
      connections: CONNECTIONS,
      newItem: JSON.stringify({
        name: 'Bench item',
        description: 'Created by the benchmark',
        price: 12.5,
        tax: 2.5,
        tags: ['bench'],
        images: [{ url: 'https://img.example.com/b.png', name: 'b' }],
      }),
      login: JSON.stringify({ username: ADMIN.email, password: ADMIN.password }),
    };
    const scenarios = selected(
      [...httpScenarios(ctx), ...tracingScenarios(ctx), ...extraScenarios(ctx)],
      only,
      option('ws', false) === true,
    );
    if (scenarios.some((s) => s.needsWorker)) {
      ctx.worker = await startWorker(env);
      processes.push(ctx.worker);
    }
    for (const scenario of scenarios) {
      log(`setup: ${scenario.name}`);
      await scenario.setup?.();
      started.push(scenario);
    }

    const measured = new Map(scenarios.map((s) => [s.name, { subject: [], base: [], ratio: [], extra: [] }]));
    const benchStart = Date.now();
    const steps = ROUNDS * scenarios.length;
    for (let round = 1; round <= ROUNDS; round++) {
      for (const [index, scenario] of scenarios.entries()) {
        const m = measured.get(scenario.name);
        // Alternate which side goes first so drift within a round does not favour either.
        const order = round % 2 ? ['base', 'subject'] : ['subject', 'base'];
        const values = {};
        for (const side of order) {
          const value = await scenario[side]();
          values[side] = typeof value === 'number' ? value : value.value;
          if (typeof value === 'object' && value.extra) m.extra.push(value.extra);
        }
        const ratio = scenario.lowerIsBetter ? values.base / values.subject : values.subject / values.base;
        m.subject.push(values.subject);
        m.base.push(values.base);
        m.ratio.push(ratio);
        const done = (round - 1) * scenarios.length + index + 1;
        const eta = Math.round((((Date.now() - benchStart) / done) * (steps - done)) / 1000);
        log(
          `[${done}/${steps}, round ${round}/${ROUNDS}, ~${eta}s left] ${scenario.name}: ${values.subject.toFixed(1)} vs ${values.base.toFixed(1)} ${scenario.unit} = ${ratio.toFixed(2)}`,
        );
      }
    }

    const results = scenarios.map((scenario) => {
      const m = measured.get(scenario.name);
      const ratio = summary(m.ratio);
      const limits = (scenario.limits ?? []).map((limit) => {
        const worst = Math.max(...m.extra.map((extra) => extra[limit.key]).filter((v) => typeof v === 'number'));
        return { ...limit, worst, met: worst < limit.max };
      });
      const ratioMet = scenario.target === null ? null : ratio.median >= scenario.target;
      return {
        name: scenario.name,
        title: scenario.title,
        baseline: scenario.baseline,
        unit: scenario.unit,
        lowerIsBetter: Boolean(scenario.lowerIsBetter),
        target: scenario.target,
        met: ratioMet === null ? null : ratioMet && limits.every((l) => l.met),
        subject: summary(m.subject),
        base: summary(m.base),
        ratio,
        limits,
        extra: m.extra,
      };
    });
    writeResults(results, compareSeconds);
    return results;
  } finally {
    for (const scenario of started.reverse())
      await scenario.teardown?.().catch((err) => log(`teardown ${scenario.name}: ${err.message}`));
    for (const p of processes.reverse()) await p.stop();
    await db.drop();
    rmSync(uploadDir, { recursive: true, force: true });
    for (const prefix of [`bench:${process.pid}:`, `bench-ws:${process.pid}:`])
      await deleteRedisKeys(prefix).catch((err) => log(`redis cleanup: ${err.message}`));
  }
}

const fmt = (s) =>
  `${s.median.toFixed(s.median < 100 ? 1 : 0)} (${s.min.toFixed(s.min < 100 ? 1 : 0)}–${s.max.toFixed(s.max < 100 ? 1 : 0)})`;

export function renderMarkdown(meta, results, fixes) {
  const targetText = (r) => (r.target === null ? 'report' : r.lowerIsBetter ? `≤ budget` : `≥ ${r.target}`);
  const lines = [
    `# Benchmark results ${meta.date.slice(0, 10)}`,
    '',
    `\`npm run bench\`: Node ${meta.node}, ${meta.cpus} × ${meta.cpu}; ${meta.rounds} interleaved rounds (${meta.duration} s per HTTP measurement, ${meta.connections} connections); medians with min–max over the rounds. ` +
      `The api (\`${meta.apiCommand ?? 'node dist/server.js'}\` as the Dockerfile runs it, NODE_ENV=production, LOG_LEVEL=${meta.logLevel}), its worker and the bare-Fastify baseline run pinned to core 0, the load generator (autocannon, one thread) to core ${meta.cpus - 1}; PostgreSQL ${meta.postgres} and Redis are local and unpinned. ` +
      `${meta.items} seeded items. bcrypt cost ${meta.bcryptCost}: ${meta.bcryptCompareMs.toFixed(1)} ms per compare.`,
    '',
    '| scenario | app | baseline | ratio app/baseline | target | met |',
    '|---|---|---|---|---|---|',
    ...results.map((r) => {
      const limits = r.limits
        .map((l) => `${l.label} ${l.worst.toFixed(0)} ${l.unit} (< ${l.max}: ${l.met ? 'yes' : '**no**'})`)
        .join('; ');
      const met = r.met === null ? '–' : r.met ? 'yes' : '**no**';
      return `| ${r.title} | ${fmt(r.subject)} ${r.unit} | ${fmt(r.base)} ${r.unit} (${r.baseline}) | ${r.ratio.median.toFixed(2)} (${r.ratio.min.toFixed(2)}–${r.ratio.max.toFixed(2)}) | ${targetText(r)}${limits ? `; ${limits}` : ''} | ${met} |`;
    }),
    '',
    ...results
      .filter((r) => r.lowerIsBetter)
      .map((r) => `- ${r.title}: the ratio is budget / p99 (≥ 1 meets the budget).`),
    ...results
      .filter((r) => r.extra.length > 0)
      .map((r) => `- ${r.name}, per round: ${r.extra.map((e) => JSON.stringify(e)).join(' ')}`),
    '',
    '![ratios](latest.svg)',
    '',
  ];
  if (fixes?.length) {
    lines.push(
      '## Before/after',
      '',
      "Changes tried where a target was missed, each measured before and after on this machine, in isolation and in the order made (request rates: tools/bench/profile.mjs, the built api under autocannon pinned as above, median of 3 runs of 4 s, each variant run twice and interleaved; RSS: the api's peak during a 100k export, median of 3 runs). Figures of different rows come from different stages of the work and are comparable within a row only. Source: tools/bench/results/fixes.json.",
      '',
      '| fix | scenario | before | after | change | kept |',
      '|---|---|---|---|---|---|',
      ...fixes.map((f) => {
        const change =
          f.before && f.after
            ? `${f.after > f.before ? '+' : ''}${(((f.after - f.before) / f.before) * 100).toFixed(0)} %`
            : '';
        const figure = (v) => (v === null || v === undefined ? '–' : `${v} ${f.unit}`);
        return `| ${f.fix}${f.note ? ` (${f.note})` : ''} | ${f.scenario} | ${figure(f.before)} | ${figure(f.after)} | ${change} | ${f.kept ? 'yes' : 'no'} |`;
      }),
      '',
    );
  }
  return lines.join('\n');
}

function writeResults(results, compareSeconds) {
  const date = new Date().toISOString();
  const meta = {
    date,
    ...machineMeta(),
    rounds: ROUNDS,
    duration: DURATION,
    connections: CONNECTIONS,
    items: ITEMS,
    logLevel: process.env.BENCH_LOG_LEVEL ?? 'info',
    bcryptCost: BCRYPT_COST,
    bcryptCompareMs: compareSeconds * 1000,
  };
  const fixes = existsSync('tools/bench/results/fixes.json')
    ? JSON.parse(readFileSync('tools/bench/results/fixes.json', 'utf8'))
    : [];
  const markdown = renderMarkdown(meta, results, fixes);
  process.stdout.write(`${markdown}\n`);
  if (option('no-write', false) === true) return;
  const day = date.slice(0, 10);
  mkdirSync('tools/bench/results', { recursive: true });
  const jsonText = `${JSON.stringify({ meta, results }, null, 2)}\n`;
  writeFileSync(`tools/bench/results/${day}.json`, jsonText);
  writeFileSync(`tools/bench/results/${day}.md`, markdown.replace('](latest.svg)', `](${day}.svg)`));
  writeFileSync(`tools/bench/results/${day}.svg`, renderChart(results, day));
  writeFileSync('tools/bench/results/latest.json', jsonText);
  writeFileSync('tools/bench/results/latest.md', markdown);
  writeFileSync('tools/bench/results/latest.svg', renderChart(results, day));
  log(`written tools/bench/results/${day}.{md,json,svg} and latest.{md,json,svg}`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  // `--scale` (or `--scale-sizes`): the list queries at growing table sizes, scale.mjs.
  if (option('scale', false) === true || option('scale-sizes', '') !== '')
    await (await import('./scale.mjs')).runScale();
  else await runBench();
}
