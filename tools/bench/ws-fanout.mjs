#!/usr/bin/env node
// WebSocket fan-out across instances: N clients in one chat room spread over two api processes
// sharing Redis; a few senders publish at a fixed offered rate; every client timestamps what
// it receives. Reports deliveries per second (one message to one client = one delivery) and the
// delivery latency distribution (send -> receive, same clock: this process), per offered rate.
//
//   npm run build && node tools/bench/ws-fanout.mjs [--clients 500] [--senders 10] [--rates 50,100,200] [--seconds 5] [--rounds 3]
//
// `npm run bench -- --only ws-fanout` (or `--ws` beside the other scenarios) runs it as a
// scenario of run.mjs instead: 200 msg/s per round, the p99 compared with the 50 ms budget.
//
// Both api processes share core 0 and this process (the load generator: every client, which
// also reads every delivered frame) is pinned to the last core, where taskset exists. Redis is
// unpinned. Rounds interleave the offered rates; the tables give each round and the medians.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { pathToFileURL } from 'node:url';
import { WebSocket } from 'ws';
import {
  API_NODE_ARGS,
  apiEnv as benchEnv,
  cpuSeconds,
  deleteRedisKeys,
  json,
  log,
  pinSelf,
  scratchDatabase,
  sleep,
  startProcess,
  summary,
} from './lib.mjs';

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const index = args.indexOf(`--${name}`);
  return index === -1 ? fallback : args[index + 1];
};
const CLIENTS = Number(option('clients', 500));
const SENDERS = Number(option('senders', 10));
const RATES = option('rates', '50,100,200').split(',').map(Number);
const SECONDS = Number(option('seconds', 5));
const ROUNDS = Number(option('rounds', 3));
const PORTS = [3911, 3912];
const ROOM = 'bench';

async function accessToken(baseUrl) {
  const email = `bench-ws-${process.pid}@example.com`;
  const password = 'bench-ws-password';
  const headers = { 'content-type': 'application/json' };
  await json(`${baseUrl}/api/v1/auth/register`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ email, password, name: 'Bench' }),
  });
  const tokens = await json(`${baseUrl}/api/v1/auth/token`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ username: email, password }),
  });
  return tokens.access_token;
}

/** Opens `count` sockets round-robin over the instances; `onFrame(client, text)` sees every frame. */
async function openClients(count, token, onFrame) {
  const clients = [];
  const batch = 50;
  for (let start = 0; start < count; start += batch) {
    const opening = [];
    for (let i = start; i < Math.min(count, start + batch); i++) {
      const port = PORTS[i % PORTS.length];
      const socket = new WebSocket(`ws://127.0.0.1:${port}/ws/chat/${ROOM}`, {
        headers: { authorization: `Bearer ${token}` },
      });
      const client = { index: i, socket, closeCode: undefined };
      socket.on('message', (data) => onFrame(client, data.toString()));
      socket.on('close', (code) => (client.closeCode = code));
      opening.push(
        new Promise((resolve, reject) => {
          socket.once('open', resolve);
          socket.once('error', reject);
          socket.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
        }),
      );
      clients.push(client);
    }
    await Promise.all(opening);
  }
  return clients;
}

/** Waits until no frame has arrived for `quietMs`. */
async function settle(state, quietMs = 1000) {
  while (performance.now() - state.lastFrameAt < quietMs) await sleep(100);
}

function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

async function measure(clients, state, rate, serverPids) {
  const open = clients.filter((client) => client.socket.readyState === WebSocket.OPEN);
  const senders = open.slice(0, SENDERS);
  const total = Math.round(rate * SECONDS);
  state.latencies = [];
  state.expected = total * open.length;
  const intervalMs = 1000 / rate;
  const cpuBefore = serverPids.map(cpuSeconds);
  const clientBefore = process.cpuUsage();
  const started = performance.now();
  for (let n = 0; n < total; n++) {
    // Paced against the schedule, not the previous send, so the offered rate holds.
    const due = started + n * intervalMs;
    const wait = due - performance.now();
    if (wait > 1) await sleep(wait);
    const sender = senders[n % senders.length];
    sender.socket.send(JSON.stringify({ type: 'message', text: `${n}|${performance.now()}` }));
  }
  const sentAt = performance.now();
  const deadline = sentAt + 30_000;
  while (state.latencies.length < state.expected && performance.now() < deadline) await sleep(50);
  const finished = state.lastFrameAt;
  const serverCpu = serverPids.map((pid, i) => cpuSeconds(pid) - cpuBefore[i]).reduce((x, y) => x + y, 0);
  const clientUsage = process.cpuUsage(clientBefore);
  const sorted = Float64Array.from(state.latencies).sort();
  return {
    offered: rate,
    sent: total,
    clients: open.length,
    publishedPerSecond: total / ((sentAt - started) / 1000),
    deliveries: sorted.length,
    lost: state.expected - sorted.length,
    deliveriesPerSecond: sorted.length / ((finished - started) / 1000),
    // Load-independent: what the servers spent per delivery, whatever else ran on the machine.
    serverCpuMicrosPerDelivery: (serverCpu * 1e6) / Math.max(1, sorted.length),
    clientCpuMicrosPerDelivery: (clientUsage.user + clientUsage.system) / Math.max(1, sorted.length),
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    max: sorted[sorted.length - 1],
  };
}

/** Deliveries of one chat message per client, timestamped; see openClients. */
function onChatFrame(state) {
  return (_client, text) => {
    const now = performance.now();
    state.lastFrameAt = now;
    // Only chat messages carry a send timestamp; join notices are counted out. String slicing
    // instead of JSON.parse: this process reads every delivery and must stay cheap.
    if (!text.startsWith('{"type":"message"')) return;
    const bar = text.indexOf('|');
    state.latencies.push(now - Number.parseFloat(text.slice(bar + 1, text.indexOf('"', bar))));
  };
}

export const FANOUT_RATE = 200;
export const FANOUT_P99_BUDGET_MS = 50;

/**
 * Both api instances (built, run as the image runs them: dist/, the heap flags) on core 0, this
 * process (every client socket, the senders) on the last core: the load generator never gets
 * more than one core and never shares the servers' one. Redis runs unpinned.
 */
async function startFanout(db) {
  pinSelf();
  const processes = [];
  for (const port of PORTS) {
    const env = benchEnv({
      databaseUrl: db.url,
      port,
      uploadDir: `.tmp/bench-uploads-${process.pid}`,
      extra: {
        REDIS_PREFIX: `bench-ws:${process.pid}:`,
        WS_MESSAGE_RATE: '100000',
        WS_MESSAGE_BURST: '100000',
        LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'warn',
      },
    });
    processes.push(
      await startProcess({
        script: 'dist/server.js',
        nodeArgs: API_NODE_ARGS,
        env,
        cpu: 0,
        readyUrl: `http://127.0.0.1:${port}/health/ready`,
      }),
    );
  }
  const state = { latencies: [], expected: 0, lastFrameAt: performance.now() };
  const clients = await openClients(CLIENTS, await accessToken(`http://127.0.0.1:${PORTS[0]}`), onChatFrame(state));
  log(`${clients.length} clients connected; waiting for the join notices to settle`);
  await settle(state);
  return {
    processes,
    state,
    clients,
    measure: (rate) =>
      measure(
        clients,
        state,
        rate,
        processes.map((p) => p.pid),
      ),
    async stop() {
      for (const client of clients) client.socket.terminate();
      for (const p of processes.reverse()) await p.stop();
      await deleteRedisKeys(`bench-ws:${process.pid}:`);
    },
  };
}

/**
 * The scenario for run.mjs (optional: `--only ws-fanout` or `--ws`): set up once; each round
 * offers FANOUT_RATE msg/s for SECONDS and reports the p99 delivery latency against the budget.
 */
export function fanoutScenario({ db }) {
  let fanout;
  return {
    name: 'ws-fanout',
    title: `WebSocket fan-out: ${CLIENTS} clients, 2 instances, ${FANOUT_RATE} msg/s (p99)`,
    baseline: `the ${FANOUT_P99_BUDGET_MS} ms p99 budget`,
    unit: 'ms',
    lowerIsBetter: true,
    target: 1,
    optional: true,
    async setup() {
      fanout = await startFanout(db);
    },
    async subject() {
      const result = await fanout.measure(FANOUT_RATE);
      await settle(fanout.state, 500);
      log(
        `ws-fanout: ${result.deliveriesPerSecond.toFixed(0)} deliveries/s, p50 ${result.p50.toFixed(1)} ms, p99 ${result.p99.toFixed(1)} ms, lost ${result.lost}`,
      );
      return {
        value: result.p99,
        extra: {
          p50: Number(result.p50.toFixed(1)),
          p99: Number(result.p99.toFixed(1)),
          max: Number(result.max.toFixed(1)),
          lost: result.lost,
          deliveriesPerSecond: Math.round(result.deliveriesPerSecond),
        },
      };
    },
    base: async () => FANOUT_P99_BUDGET_MS,
    async teardown() {
      await fanout?.stop();
    },
  };
}

async function main() {
  log(
    `ws-fanout: ${CLIENTS} clients over ${PORTS.length} instances, ${SENDERS} senders, rates ${RATES.join(', ')} msg/s for ${SECONDS}s, ${ROUNDS} rounds, node ${process.version}, ${os.cpus().length} cores`,
  );
  if (!existsSync('dist/server.js')) throw new Error('dist/server.js is missing: run `npm run build` first');
  const db = await scratchDatabase('bench_ws');
  let fanout;
  try {
    fanout = await startFanout(db);
    const closedEarly = fanout.clients.filter((client) => client.closeCode !== undefined);
    if (closedEarly.length > 0)
      log(
        `${closedEarly.length} clients were closed while joining: codes ${closedEarly.map((c) => c.closeCode).join(',')}`,
      );
    const results = [];
    for (let round = 1; round <= ROUNDS; round++) {
      for (const rate of RATES) {
        const result = { round, ...(await fanout.measure(rate)) };
        results.push(result);
        log(
          `[round ${round}/${ROUNDS}] offered ${rate} msg/s: ${result.deliveriesPerSecond.toFixed(0)} deliveries/s, p50 ${result.p50.toFixed(1)} ms, p99 ${result.p99.toFixed(1)} ms, max ${result.max.toFixed(1)} ms, lost ${result.lost}, server CPU ${result.serverCpuMicrosPerDelivery.toFixed(1)} µs/delivery`,
        );
        await settle(fanout.state, 500);
      }
    }
    const closes = {};
    for (const client of fanout.clients)
      if (client.closeCode !== undefined) closes[client.closeCode] = (closes[client.closeCode] ?? 0) + 1;
    writeResults(results, closes);
  } finally {
    await fanout?.stop();
    await db.drop();
  }
}

function writeResults(results, closes) {
  const meta = {
    date: new Date().toISOString(),
    node: process.version,
    cpus: os.cpus().length,
    cpu: os.cpus()[0]?.model,
    clients: CLIENTS,
    instances: PORTS.length,
    senders: SENDERS,
    seconds: SECONDS,
    rounds: ROUNDS,
    rates: RATES,
    pinning: 'api instances on core 0, load generator on the last core, Redis unpinned',
  };
  const byRate = RATES.map((rate) => {
    const runs = results.filter((r) => r.offered === rate);
    const of = (key) => summary(runs.map((r) => r[key]));
    return {
      offered: rate,
      deliveriesPerSecond: of('deliveriesPerSecond'),
      p50: of('p50'),
      p99: of('p99'),
      max: of('max'),
      lost: runs.reduce((n, r) => n + r.lost, 0),
      serverCpuMicrosPerDelivery: of('serverCpuMicrosPerDelivery'),
      clientCpuMicrosPerDelivery: of('clientCpuMicrosPerDelivery'),
    };
  });
  mkdirSync('tools/bench/results', { recursive: true });
  writeFileSync(
    'tools/bench/results/ws-fanout.json',
    `${JSON.stringify({ meta, byRate, results, closes }, null, 2)}\n`,
  );
  const ms = (v) => v.toFixed(1);
  const range = (s, f = ms) => `${f(s.median)} (${f(s.min)}–${f(s.max)})`;
  const lines = [
    `# WebSocket fan-out ${meta.date.slice(0, 10)}`,
    '',
    `${CLIENTS} clients in one room over ${PORTS.length} api instances sharing Redis; ${SENDERS} senders; ${SECONDS} s per offered rate, ${ROUNDS} interleaved rounds, medians with min–max. ${meta.pinning}. Node ${meta.node}, ${meta.cpus} × ${meta.cpu}. Target: p99 < 50 ms at 200 msg/s.`,
    '',
    '| offered msg/s | deliveries/s | p50 ms | p99 ms | max ms | lost | server CPU µs/delivery | client CPU µs/delivery |',
    '|---|---|---|---|---|---|---|---|',
    ...byRate.map(
      (r) =>
        `| ${r.offered} | ${range(r.deliveriesPerSecond, (v) => v.toFixed(0))} | ${range(r.p50)} | ${range(r.p99)} | ${range(r.max)} | ${r.lost} | ${range(r.serverCpuMicrosPerDelivery)} | ${range(r.clientCpuMicrosPerDelivery)} |`,
    ),
    '',
    'Each round:',
    '',
    '| round | offered msg/s | published msg/s | deliveries/s | p50 ms | p90 ms | p99 ms | max ms | lost |',
    '|---|---|---|---|---|---|---|---|---|',
    ...results.map(
      (r) =>
        `| ${r.round} | ${r.offered} | ${r.publishedPerSecond.toFixed(1)} | ${r.deliveriesPerSecond.toFixed(0)} | ${ms(r.p50)} | ${ms(r.p90)} | ${ms(r.p99)} | ${ms(r.max)} | ${r.lost} |`,
    ),
    '',
    `Sockets closed by the server during the run (close code: count): ${JSON.stringify(closes)}. Load average at the end: ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}.`,
    '',
  ];
  writeFileSync('tools/bench/results/ws-fanout.md', lines.join('\n'));
  process.stdout.write(`${lines.join('\n')}\n`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
