// Shared pieces of the benchmarks: options, the api's environment, scratch database, child
// processes pinned to a core, HTTP load with autocannon, RSS sampling and statistics. Every
// figure is compared with a baseline measured in the same run, interleaved over several rounds,
// because these machines are noisy.
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import autocannon from 'autocannon';
import { Redis } from 'ioredis';
import pg from 'pg';

export const ADMIN_DATABASE_URL =
  process.env.BENCH_DATABASE_ADMIN_URL ?? 'postgresql://postgres:postgres@127.0.0.1:5432/postgres';
export const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
export const ADMIN = { email: 'bench-admin@example.com', password: 'bench-admin-password' };

/** `--name value`; a boolean fallback makes it a flag (`--dist`), present or not. */
export function option(name, fallback) {
  const args = process.argv.slice(2);
  const index = args.indexOf(`--${name}`);
  if (index === -1) return fallback;
  if (typeof fallback === 'boolean') return true;
  return args[index + 1] ?? fallback;
}

/**
 * How the Dockerfile runs the api (its CMD flags and MALLOC_ARENA_MAX), so the benchmark
 * measures what production runs; `--no-runtime-flags` measures plain `node dist/server.js`.
 */
export const API_NODE_ARGS =
  option('no-runtime-flags', false) === true ? [] : ['--max-semi-space-size=4', '--max-old-space-size=256'];
export const API_RUNTIME_ENV = option('no-runtime-flags', false) === true ? {} : { MALLOC_ARENA_MAX: '2' };

/**
 * The api's environment for a benchmark: production mode, the production log level (info,
 * unless BENCH_LOG_LEVEL says otherwise), limits high enough that the load generator is never
 * throttled (the limiter still runs and counts every request in Redis).
 */
export function apiEnv({ databaseUrl, port, uploadDir, extra = {} }) {
  return {
    NODE_ENV: 'production',
    PORT: String(port),
    HOST: '127.0.0.1',
    DATABASE_URL: databaseUrl,
    REDIS_URL,
    REDIS_PREFIX: `bench:${process.pid}:`,
    JWT_SECRET: 'bench-secret-bench-secret-bench-secret-bench-secret',
    METRICS_PASSWORD: 'bench-metrics-password',
    BCRYPT_COST: '4',
    RATE_LIMIT_MAX: '1000000',
    LOGIN_RATE_LIMIT_MAX: '10000',
    LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'info',
    UPLOAD_DIR: uploadDir,
    ADMIN_EMAIL: ADMIN.email,
    ADMIN_PASSWORD: ADMIN.password,
    ...API_RUNTIME_ENV,
    ...extra,
  };
}

const hasTaskset = (() => {
  try {
    execFileSync('taskset', ['-c', '0', 'true']);
    return true;
  } catch {
    return false;
  }
})();

/** The command prefixed with `taskset -c <cpu>` where taskset exists. */
export function pinned(cpu, command, args) {
  return hasTaskset ? ['taskset', ['-c', String(cpu), command, ...args]] : [command, args];
}

/** Moves a running process (every thread) to `cpus`, e.g. '0' or '0-1'. */
export function repin(pid, cpus) {
  if (hasTaskset) execFileSync('taskset', ['-a', '-p', '-c', cpus, String(pid)], { stdio: 'ignore' });
}

/**
 * Pins this process (every thread: autocannon runs in it) to the last core, so the load
 * generator never takes more than one core and never shares one with the pinned servers.
 */
export function pinSelf(cpu = os.cpus().length - 1) {
  repin(process.pid, String(cpu));
}

export function log(message) {
  process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${message}\n`);
}

export const mb = (bytes) => (bytes / 1024 / 1024).toFixed(1);

export function databaseUrl(name) {
  const url = new URL(ADMIN_DATABASE_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

export async function adminQuery(sql) {
  return query(ADMIN_DATABASE_URL, sql);
}

export async function query(url, sql, params) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await client.query(sql, params);
  } finally {
    await client.end();
  }
}

/** Creates a scratch database with the migrations applied; returns its URL and a drop function. */
export async function scratchDatabase(label = 'bench') {
  const name = `${label}_${Date.now().toString(36)}_${randomBytes(2).toString('hex')}`;
  await adminQuery(`CREATE DATABASE "${name}"`);
  const url = databaseUrl(name);
  execFileSync(process.execPath, ['tools/prisma-offline/prisma.mjs', 'migrate', 'deploy'], {
    env: { ...process.env, DATABASE_URL: url },
    stdio: 'ignore',
  });
  return { name, url, drop: () => adminQuery(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`) };
}

/** Deletes every Redis key under `prefix` (what a run's api, worker and queues left). */
export async function deleteRedisKeys(prefix) {
  const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    for (let cursor = '0'; ;) {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      if (keys.length > 0) await redis.del(...keys);
      if ((cursor = next) === '0') break;
    }
  } finally {
    redis.disconnect();
  }
}

/** `npm run db:seed -- --items N` into `url` (the bench admin and N generated items), with its progress bar. */
export function seed(url, items, env = {}) {
  execFileSync(process.execPath, ['--import', 'tsx', 'prisma/seed.ts', '--items', String(items)], {
    // BCRYPT_COST among `env`: the admin's hash is made at the cost the api is configured with.
    env: {
      ...process.env,
      ...apiEnv({ databaseUrl: url, port: 0, uploadDir: '.tmp/unused' }),
      ...env,
      NODE_ENV: 'development',
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  execFileSync('psql', ['-X', '-q', url, '-c', 'VACUUM ANALYZE']);
}

/**
 * Starts a Node process pinned to `cpu` (a core number or a list like '0-1'), waits until
 * `readyUrl` answers 2xx or, without one, until a line of its stdout matches `readyLog`.
 */
export async function startProcess({ script, args = [], env = {}, cpu = 0, readyUrl, readyLog, nodeArgs = [] }) {
  const [command, argv] = pinned(cpu, process.execPath, [...nodeArgs, script, ...args]);
  const child = spawn(command, argv, {
    env: { ...process.env, ...env },
    stdio: ['ignore', readyLog ? 'pipe' : 'ignore', 'pipe'],
  });
  let stderr = '';
  let stdout = '';
  child.stderr.on('data', (chunk) => {
    stderr = (stderr + chunk).slice(-4000);
  });
  let logged = false;
  if (readyLog) {
    child.stdout.on('data', (chunk) => {
      if (logged) return;
      stdout = (stdout + chunk).slice(-8000);
      logged = readyLog.test(stdout);
    });
  }
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${script} exited with ${child.exitCode}: ${stderr}`);
    if (readyLog && logged) break;
    if (readyUrl) {
      try {
        const response = await fetch(readyUrl);
        if (response.ok) break;
      } catch {
        // not listening yet
      }
    }
    await sleep(100);
  }
  if (Date.now() >= deadline) throw new Error(`${script} did not become ready: ${stderr}`);
  return {
    child,
    /** The pid of node itself (taskset execs into it, so the pid is the same). */
    pid: child.pid,
    stop: async () => {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    },
  };
}

export function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export function rssBytes(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return kb * 1024;
}

/** Samples a process's RSS every 50 ms while `work` runs; returns the work's result and the peak. */
export async function withRssSampling(pid, work) {
  const start = rssBytes(pid);
  let peak = start;
  const timer = setInterval(() => {
    try {
      peak = Math.max(peak, rssBytes(pid));
    } catch {
      // process gone
    }
  }, 50);
  try {
    const result = await work();
    peak = Math.max(peak, rssBytes(pid));
    return { result, startRss: start, peakRss: peak };
  } finally {
    clearInterval(timer);
  }
}

/** CPU seconds (user + system) a process has used so far, from /proc. */
export function cpuSeconds(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Runs `work` and adds its wall time in seconds to what it returns. */
export async function timed(work) {
  const started = process.hrtime.bigint();
  const result = await work();
  return { ...result, seconds: Number(process.hrtime.bigint() - started) / 1e9 };
}

/** Line feeds in a chunk (CSV rows are counted this way on both sides). */
export function lineFeeds(chunk) {
  let lines = 0;
  for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) lines += 1;
  return lines;
}

/** Runs autocannon in this process (a single thread: the load generator uses one core). */
export function load(options) {
  return new Promise((resolve, reject) => {
    autocannon({ connections: 20, duration: 5, ...options }, (err, result) => (err ? reject(err) : resolve(result)));
  });
}

export async function json(url, init) {
  const response = await fetch(url, init);
  if (!response.ok) throw new Error(`${init?.method ?? 'GET'} ${url}: ${response.status} ${await response.text()}`);
  return response.json();
}

/** Logs in through the API (the seeded bench admin by default) and returns its bearer header. */
export async function bearerFor(baseUrl, { email = ADMIN.email, password = ADMIN.password } = {}) {
  const tokens = await json(`${baseUrl}/api/v1/auth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: email, password }),
  });
  return { authorization: `Bearer ${tokens.access_token}` };
}

/** Registers a fresh user through the API and returns its bearer header. */
export async function newUserBearer(baseUrl) {
  const email = `bench-${process.pid}-${Date.now()}@example.com`;
  const password = 'bench-user-password';
  await json(`${baseUrl}/api/v1/auth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password, name: 'Bench' }),
  });
  return bearerFor(baseUrl, { email, password });
}

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export function summary(values) {
  return { median: median(values), min: Math.min(...values), max: Math.max(...values), runs: values.length };
}

/** What every results file records about the machine and how the api ran: same fields, one place. */
export function machineMeta() {
  let postgres = '';
  try {
    postgres = /\d+\.\d+/.exec(execFileSync('psql', ['--version']).toString())?.[0] ?? '';
  } catch {
    // psql missing: the version stays blank.
  }
  return {
    apiCommand: [
      ...Object.entries(API_RUNTIME_ENV).map(([k, v]) => `${k}=${v}`),
      'node',
      ...API_NODE_ARGS,
      'dist/server.js',
    ].join(' '),
    node: process.version,
    cpus: os.cpus().length,
    cpu: os.cpus()[0]?.model,
    postgres,
  };
}

/** Mean and 95 % confidence interval (Student's t) of a few measurements. */
export function meanInterval(values) {
  const n = values.length;
  const mean = values.reduce((a, b) => a + b, 0) / n;
  if (n < 2) return { mean, low: mean, high: mean };
  const sd = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1));
  // Two-sided 97.5 % quantiles of t for n - 1 degrees of freedom (1..20), then the normal's.
  const t =
    [
      12.71, 4.3, 3.18, 2.78, 2.57, 2.45, 2.36, 2.31, 2.26, 2.23, 2.2, 2.18, 2.16, 2.14, 2.13, 2.12, 2.11, 2.1, 2.09,
      2.09,
    ][n - 2] ?? 1.96;
  const half = (t * sd) / Math.sqrt(n);
  return { mean, low: mean - half, high: mean + half };
}
