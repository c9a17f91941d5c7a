#!/usr/bin/env node
// `npm run bench`: every scenario against its baseline, measured in the same run, interleaved
// over several rounds (median, min and max of the ratios), written to bench/results/<date>.md,
// .json and an SVG chart the README embeds.
//
// Options: --rounds 5  --duration 5 (seconds per HTTP measurement)  --items 100000
//          --only name,name (scenario names)  --connections 20
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import bcrypt from 'bcrypt';
import { renderChart } from './chart.mjs';
import { REDIS_URL, load, log, scratchDatabase, startProcess, summary } from './lib.mjs';
import { extraScenarios } from './scenarios.mjs';

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const index = args.indexOf(`--${name}`);
  return index === -1 ? fallback : args[index + 1];
};
const ROUNDS = Number(option('rounds', 5));
const DURATION = Number(option('duration', 5));
const ITEMS = Number(option('items', 100_000));
const CONNECTIONS = Number(option('connections', 20));
const ONLY = option('only', '')
  .split(',')
  .filter(Boolean);
const BCRYPT_COST = Number(process.env.BCRYPT_COST ?? 10);

const API_PORT = 3901;
const BASELINE_PORT = 3902;

function apiEnv(databaseUrl, port) {
  return {
    NODE_ENV: 'production',
    PORT: String(port),
    HOST: '127.0.0.1',
    DATABASE_URL: databaseUrl,
    REDIS_URL,
    REDIS_PREFIX: `bench:${process.pid}:`,
    JWT_SECRET: 'bench-secret-bench-secret-bench-secret-bench-secret',
    METRICS_PASSWORD: 'bench-metrics-password',
    BCRYPT_COST: String(BCRYPT_COST),
    RATE_LIMIT_MAX: '100000000',
    LOGIN_RATE_LIMIT_MAX: '100000000',
    LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'info',
    UPLOAD_DIR: `.tmp/bench-uploads-${process.pid}`,
    MAX_UPLOAD_BYTES: String(300 * 1024 * 1024),
    ADMIN_EMAIL: 'bench-admin@example.com',
    ADMIN_PASSWORD: 'bench-admin-password',
  };
}

async function json(url, init) {
  const response = await fetch(url, init);
  if (!response.ok) throw new Error(`${init?.method ?? 'GET'} ${url}: ${response.status} ${await response.text()}`);
  return response.json();
}

async function reqPerSec(options) {
  const result = await load({ connections: CONNECTIONS, duration: DURATION, ...options });
  const bad = result.non2xx + result.errors + result.timeouts;
  if (bad > 0) throw new Error(`${options.url}: ${bad} failed requests (${result.non2xx} non-2xx, ${result.errors} errors)`);
  return result.requests.average;
}

/** Mean time of one bcrypt compare at the configured cost, measured here and now. */
async function bcryptCompareSeconds() {
  const hash = await bcrypt.hash('bench-password', BCRYPT_COST);
  const runs = 20;
  const started = process.hrtime.bigint();
  for (let i = 0; i < runs; i++) await bcrypt.compare('bench-password', hash);
  return Number(process.hrtime.bigint() - started) / 1e9 / runs;
}

async function main() {
  log(`bench: ${ROUNDS} rounds, ${DURATION}s per measurement, ${ITEMS} items, node ${process.version}, ${os.cpus().length} cores`);
  log('build: tsc');
  execFileSync('npx', ['tsc', '-p', 'tsconfig.json'], { stdio: 'inherit' });
  const db = await scratchDatabase('bench');
  const processes = [];
  try {
    log(`seed: ${ITEMS} items into ${db.name}`);
    execFileSync(process.execPath, ['--import', 'tsx', 'prisma/seed.ts', '--items', String(ITEMS)], {
      env: { ...process.env, ...apiEnv(db.url, API_PORT), NODE_ENV: 'development' },
      stdio: ['ignore', 'inherit', 'inherit'],
    });

    // The app and the baseline share core 0; this process (the load generator) gets core 1.
    const api = await startProcess({ script: 'dist/server.js', env: apiEnv(db.url, API_PORT), cpu: 0, readyUrl: `http://127.0.0.1:${API_PORT}/health/ready` });
    processes.push(api);
    const baseline = await startProcess({ script: 'bench/baseline-server.mjs', env: { PORT: String(BASELINE_PORT), DATABASE_URL: db.url }, cpu: 0, readyUrl: `http://127.0.0.1:${BASELINE_PORT}/health` });
    processes.push(baseline);
    const apiUrl = `http://127.0.0.1:${API_PORT}`;
    const baseUrl = `http://127.0.0.1:${BASELINE_PORT}`;

    const tokens = await json(`${apiUrl}/api/v1/auth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'bench-admin@example.com', password: 'bench-admin-password' }),
    });
    const auth = { authorization: `Bearer ${tokens.access_token}` };
    const page = await json(`${apiUrl}/api/v1/items?limit=1`);
    const itemId = page.items[0].id;
    await fetch(`${apiUrl}/api/v1/items/${itemId}`); // warm the cache
    const newItem = JSON.stringify({ name: 'Bench item', description: 'Created by the benchmark', price: 12.5, tax: 2.5, tags: ['bench'], images: [{ url: 'https://img.example.com/b.png', name: 'b' }] });
    const compareSeconds = await bcryptCompareSeconds();
    log(`bcrypt cost ${BCRYPT_COST}: ${(compareSeconds * 1000).toFixed(1)} ms per compare`);

    const scenarios = [
      {
        name: 'items-get-cached',
        title: 'GET /api/v1/items/:id (cached)',
        baseline: 'bare Fastify, same JSON',
        unit: 'req/s',
        target: 0.5,
        subject: () => reqPerSec({ url: `${apiUrl}/api/v1/items/${itemId}` }),
        base: () => reqPerSec({ url: `${baseUrl}/items/${itemId}` }),
      },
      {
        name: 'items-list',
        title: 'GET /api/v1/items?limit=20 (uncached)',
        baseline: 'same query, raw pg in bare Fastify',
        unit: 'req/s',
        target: 0.7,
        subject: () => reqPerSec({ url: `${apiUrl}/api/v1/items?limit=20` }),
        base: () => reqPerSec({ url: `${baseUrl}/items?limit=20` }),
      },
      {
        name: 'items-create',
        title: 'POST /api/v1/items (validated, authenticated)',
        baseline: 'bare Fastify echo',
        unit: 'req/s',
        target: null,
        subject: () => reqPerSec({ url: `${apiUrl}/api/v1/items`, method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: newItem }),
        base: () => reqPerSec({ url: `${baseUrl}/items`, method: 'POST', headers: { 'content-type': 'application/json' }, body: newItem }),
      },
      {
        name: 'login',
        title: 'POST /api/v1/auth/token',
        baseline: `bcrypt bound: ${os.cpus().length} cores / compare time`,
        unit: 'logins/s',
        target: 0.85,
        // bcrypt runs on libuv's pool: let the app use every core for this one.
        subject: async () => {
          execFileSync('taskset', ['-a', '-p', '-c', `0-${os.cpus().length - 1}`, String(api.pid)], { stdio: 'ignore' });
          try {
            return await reqPerSec({
              url: `${apiUrl}/api/v1/auth/token`,
              method: 'POST',
              connections: 8,
              headers: { 'content-type': 'application/json' },
              body: JSON.stringify({ username: 'bench-admin@example.com', password: 'bench-admin-password' }),
            });
          } finally {
            execFileSync('taskset', ['-a', '-p', '-c', '0', String(api.pid)], { stdio: 'ignore' });
          }
        },
        base: async () => os.cpus().length / compareSeconds,
      },
      ...extraScenarios({ apiUrl, api, auth, db, ITEMS, DURATION }),
    ].filter((scenario) => ONLY.length === 0 || ONLY.includes(scenario.name));

    const measured = new Map(scenarios.map((s) => [s.name, { subject: [], base: [], ratio: [], extra: [] }]));
    for (let round = 1; round <= ROUNDS; round++) {
      for (const scenario of scenarios) {
        const m = measured.get(scenario.name);
        // Alternate which side goes first so drift within a round does not favour either.
        const order = round % 2 ? ['base', 'subject'] : ['subject', 'base'];
        const values = {};
        for (const side of order) {
          const value = await scenario[side]();
          values[side] = typeof value === 'number' ? value : value.value;
          if (typeof value === 'object' && value.extra) m.extra.push(value.extra);
        }
        m.subject.push(values.subject);
        m.base.push(values.base);
        m.ratio.push(values.subject / values.base);
        log(`[round ${round}/${ROUNDS}] ${scenario.name}: ${values.subject.toFixed(1)} vs ${values.base.toFixed(1)} ${scenario.unit} = ${(values.subject / values.base).toFixed(2)}`);
      }
    }

    const results = scenarios.map((scenario) => {
      const m = measured.get(scenario.name);
      const ratio = summary(m.ratio);
      return {
        name: scenario.name,
        title: scenario.title,
        baseline: scenario.baseline,
        unit: scenario.unit,
        target: scenario.target,
        met: scenario.target === null ? null : ratio.median >= scenario.target,
        subject: summary(m.subject),
        base: summary(m.base),
        ratio,
        extra: m.extra,
      };
    });
    writeResults(results, compareSeconds);
  } finally {
    for (const p of processes.reverse()) await p.stop();
    await db.drop();
  }
}

function writeResults(results, compareSeconds) {
  const date = new Date().toISOString().slice(0, 10);
  mkdirSync('bench/results', { recursive: true });
  const meta = { date: new Date().toISOString(), node: process.version, cpus: os.cpus().length, cpu: os.cpus()[0]?.model, rounds: ROUNDS, duration: DURATION, items: ITEMS, bcryptCost: BCRYPT_COST, bcryptCompareMs: compareSeconds * 1000 };
  writeFileSync(`bench/results/${date}.json`, `${JSON.stringify({ meta, results }, null, 2)}\n`);
  const fmt = (s) => `${s.median.toFixed(1)} (${s.min.toFixed(1)}–${s.max.toFixed(1)})`;
  const lines = [
    `# Benchmark results ${date}`,
    '',
    `Node ${meta.node}, ${meta.cpus} × ${meta.cpu}; ${ROUNDS} interleaved rounds of ${DURATION}s; medians with min–max. bcrypt cost ${BCRYPT_COST}: ${meta.bcryptCompareMs.toFixed(1)} ms per compare.`,
    '',
    '| scenario | app | baseline | ratio | target | met |',
    '|---|---|---|---|---|---|',
    ...results.map((r) => `| ${r.title} | ${fmt(r.subject)} ${r.unit} | ${fmt(r.base)} ${r.unit} (${r.baseline}) | ${r.ratio.median.toFixed(2)} (${r.ratio.min.toFixed(2)}–${r.ratio.max.toFixed(2)}) | ${r.target ?? 'report'} | ${r.met === null ? '–' : r.met ? 'yes' : '**no**'} |`),
    '',
    ...results.filter((r) => r.extra.length > 0).map((r) => `- ${r.title}: ${JSON.stringify(r.extra.at(-1))}`),
    '',
    '![ratios](latest.svg)',
    '',
  ];
  writeFileSync(`bench/results/${date}.md`, lines.join('\n'));
  writeFileSync('bench/results/latest.svg', renderChart(results, date));
  writeFileSync('bench/results/latest.md', lines.join('\n'));
  process.stdout.write(`${lines.join('\n')}\n`);
  log(`written bench/results/${date}.md, .json and latest.svg`);
}

await main();
