#!/usr/bin/env node
// The cached item read's CPU cost per request inside one process, per setting, for a machine too
// busy for request rates to mean much. Builds one app (dist/, as built) per variant, all in this
// process, against the same database and Redis, and reads `GET /api/v1/items/:id` through
// Fastify's inject (every hook, the rate limit, the cache and the access log run; no socket, no
// HTTP parsing) in short alternating slices, so the machine's load falls on every variant alike.
// Prints the median µs per request and min–max over the slices. The access log is written to a
// stream that drops the lines (pino still builds each one).
//
//   npm run -s build && node tools/bench/inject-cached.mjs --database-url postgresql://.../db \
//     --id 5 --variant before=CACHE_LOCAL_TTL=0,RATE_LIMIT_BATCH=1 --variant after= [--slices 30]
import { buildApp } from '../../dist/compose/api.js';
import { loadConfig } from '../../dist/config.js';

const args = process.argv.slice(2);
const value = (name, fallback) => {
  const index = args.indexOf(`--${name}`);
  return index === -1 ? fallback : args[index + 1];
};
const DATABASE_URL = value('database-url', process.env.DATABASE_URL);
const ID = Number(value('id', 1));
const SLICES = Number(value('slices', 30));
const PER_SLICE = Number(value('requests', 2000));
if (!DATABASE_URL) throw new Error('--database-url (or DATABASE_URL) is required');

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

const apps = [];
for (const variant of variants) {
  const config = loadConfig({
    NODE_ENV: 'production',
    DATABASE_URL,
    REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    REDIS_PREFIX: `bench-inject:${process.pid}:`,
    JWT_SECRET: 'bench-secret-bench-secret-bench-secret-bench-secret',
    METRICS_PASSWORD: 'bench-metrics-password',
    RATE_LIMIT_MAX: '1000000',
    MAX_EVENT_LOOP_DELAY: '0',
    LOG_LEVEL: 'info',
    UPLOAD_DIR: '.tmp/bench-inject-uploads',
    ADMIN_PASSWORD: 'bench-admin-password',
    ...variant.env,
  });
  const app = await buildApp({ config, logStream: { write() {} } });
  await app.ready();
  apps.push({ ...variant, app, us: [] });
}

const read = (app) => app.inject({ method: 'GET', url: `/api/v1/items/${ID}`, remoteAddress: '10.0.0.1' });
for (const v of apps) {
  const first = await read(v.app);
  if (first.statusCode !== 200) throw new Error(`${v.name}: ${first.statusCode} ${first.body.slice(0, 200)}`);
  for (let i = 0; i < 2000; i++) await read(v.app); // warm-up
}
for (let slice = 0; slice < SLICES; slice++) {
  for (const v of slice % 2 ? apps : [...apps].reverse()) {
    const started = process.cpuUsage();
    for (let i = 0; i < PER_SLICE; i++) await read(v.app);
    const used = process.cpuUsage(started);
    v.us.push((used.user + used.system) / PER_SLICE);
  }
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
for (const v of apps) {
  console.log(
    `${v.name}: ${median(v.us).toFixed(1)} µs CPU per cached read (${Math.min(...v.us).toFixed(1)}–${Math.max(...v.us).toFixed(1)}), ${SLICES} slices of ${PER_SLICE}`,
  );
  await v.app.close();
}
