#!/usr/bin/env node
// `npm run test:observability`: deploy/observability, run live without Docker. The compose
// profile (`docker compose --profile observability up`) cannot start on machines without a
// container registry, so this starts the closest real thing natively on loopback:
//   - the built api (dist/server.js) and worker (dist/worker.js, WORKER_METRICS_PORT set) against
//     a scratch database (migrated and seeded by scripts/docker-migrate.sh, as the compose
//     `migrate` service does) and a Redis prefix of their own on the shared Redis;
//   - Debian's `prometheus` with deploy/observability/prometheus.yml, changed only where compose
//     and loopback differ: targets (static loopback ports instead of compose DNS), the password
//     and rule file paths, and 1 s scrape and evaluation intervals so the run stays short;
// then drives traffic and checks, through Prometheus' HTTP API, that every target is up, every
// alert rule group loaded and evaluates without error, and every PromQL expression of the Grafana
// dashboards evaluates; those that must show something after the traffic return a number.
// Grafana, Tempo and the OTel collector are not run: they need their images.
// Every process it starts is stopped by pid, the database dropped, the Redis keys deleted.
// Without `prometheus` on PATH it fails, unless OBSERVABILITY_LIVE_OPTIONAL=1 (then it skips).
// OBSERVABILITY_LIVE_KEEP=1 keeps the temp directory (process logs, the generated config).
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { nativeAppEnv } from './lib/app-env.mjs';
import { scratchDatabase } from './lib/scratch-database.mjs';
import WebSocket from 'ws';
import { parse, stringify } from 'yaml';
import { ProcessGroup, freePort, sleep, waitFor } from './lib/processes.mjs';

const projectDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const observabilityDir = path.join(projectDir, 'deploy/observability');
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const log = (line) => process.stdout.write(`${line}\n`);
// Seconds since start on each step: CI has a time budget, this shows where a slow run spends it.
const started = Date.now();
const at = () => `[${((Date.now() - started) / 1000).toFixed(1)} s]`;

// Prometheus is a system package, not an npm one: CI installs it (.ci/run), a laptop may not have it.
if (spawnSync('prometheus', ['--version'], { stdio: 'ignore' }).status !== 0) {
  if (process.env.OBSERVABILITY_LIVE_OPTIONAL === '1') {
    log('observability live: skipped: prometheus not installed (Debian: apt-get install prometheus)');
    process.exit(0);
  }
  log('FAIL prometheus not installed (Debian: apt-get install prometheus); OBSERVABILITY_LIVE_OPTIONAL=1 skips');
  process.exit(1);
}

const runId = `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
const database = scratchDatabase(`observability_${runId}`);
const redisPrefix = `observability:${runId}:`;
const tmp = mkdtempSync(path.join(os.tmpdir(), 'observability-'));
const procs = new ProcessGroup(tmp);

// Grafana's built-in variables, with the values Grafana would pick for the compose stack's 15 s
// scrape interval ($__rate_interval is at least 4 scrape intervals). A window this wide covers
// the whole traffic phase below, so rate() sees it however long the checks take.
const GRAFANA_BUILTINS = { __rate_interval: '1m', __interval: '15s', __range: '5m', __interval_ms: '15000' };
// Expressions allowed to return nothing after the traffic, each with its reason. Empty: every
// panel of the dashboard must show something. Add one here only for a panel that is empty on a
// healthy stack by design (and say why), never to silence a typo.
const MAY_BE_EMPTY = new Map();

async function expectStatus(response, status, what) {
  if (response.status !== status) {
    const body = await response.text().catch(() => '');
    throw new Error(`${what}: expected ${status}, got ${response.status} ${body.slice(0, 300)}`);
  }
  return response;
}

/**
 * deploy/observability/prometheus.yml with only what loopback changes: each job's DNS discovery
 * becomes a static target (`ports` maps job name to port), the mounted paths become temp files.
 * Scrape jobs, metrics paths, basic auth and the rule file's content stay as committed.
 */
function writePrometheusConfig(ports, passwordFile) {
  const config = parse(readFileSync(path.join(observabilityDir, 'prometheus.yml'), 'utf8'));
  // 1 s instead of 15 s: the checks need a few scrapes and rule evaluations after the traffic.
  config.global = { ...config.global, scrape_interval: '1s', evaluation_interval: '1s' };
  config.rule_files = config.rule_files.map((file) => path.join(observabilityDir, path.basename(file)));
  for (const job of config.scrape_configs) {
    // A job this script does not know is a job the check would silently leave untested.
    if (!(job.job_name in ports))
      throw new Error(`prometheus.yml scrapes job "${job.job_name}", which this script does not start`);
    delete job.dns_sd_configs;
    job.static_configs = [{ targets: [`127.0.0.1:${ports[job.job_name]}`] }];
    if (job.basic_auth?.password_file) job.basic_auth.password_file = passwordFile;
  }
  const file = path.join(tmp, 'prometheus.yml');
  writeFileSync(file, stringify(config));
  return file;
}

/** Every Prometheus query of every dashboard panel (rows' nested panels included). */
function dashboardQueries() {
  const datasources = parse(
    readFileSync(path.join(observabilityDir, 'grafana/provisioning/datasources/datasources.yaml'), 'utf8'),
  ).datasources;
  const typeOf = (uid) => datasources.find((d) => d.uid === uid)?.type ?? datasources.find((d) => d.isDefault)?.type;
  const dir = path.join(observabilityDir, 'grafana/dashboards');
  const queries = [];
  for (const name of readdirSync(dir).filter((f) => f.endsWith('.json'))) {
    const dashboard = JSON.parse(readFileSync(path.join(dir, name), 'utf8'));
    const variables = Object.fromEntries(
      (dashboard.templating?.list ?? []).map((v) => {
        // A dashboard variable takes its saved value; "All" matches every value.
        const value = [v.current?.value].flat()[0] ?? v.options?.[0]?.value ?? '';
        return [v.name, value === '$__all' ? '.*' : String(value)];
      }),
    );
    const substitute = (expr) =>
      expr.replace(/\$\{?(\w+)(?::\w+)?\}?/g, (whole, variable) => {
        const value = GRAFANA_BUILTINS[variable] ?? variables[variable];
        if (value === undefined) throw new Error(`${name}: unknown Grafana variable ${whole} in ${expr}`);
        return value;
      });
    const panels = (dashboard.panels ?? []).flatMap((p) => (p.type === 'row' ? (p.panels ?? []) : [p]));
    for (const panel of panels) {
      for (const target of panel.targets ?? []) {
        const type = typeOf(target.datasource?.uid ?? panel.datasource?.uid);
        queries.push({
          dashboard: name,
          panel: panel.title,
          legend: target.legendFormat ?? '',
          expr: type === 'prometheus' && target.expr ? substitute(target.expr) : undefined,
          skipped: type === 'prometheus' ? undefined : `${type} query, not PromQL`,
        });
      }
    }
  }
  return queries;
}

async function prometheusApi(base, pathAndQuery) {
  const res = await fetch(`${base}${pathAndQuery}`);
  const body = await res.json();
  if (body.status !== 'success') throw new Error(`${pathAndQuery}: ${body.errorType}: ${body.error}`);
  return body.data;
}

/**
 * Traffic that moves every panel, in two rounds a few scrapes apart: rate() over a counter that
 * first appears in one scrape and never changes again is 0, and a histogram's quantile is then
 * NaN, so each series must grow between scrapes to show a value.
 */
async function driveTraffic({ api, admin }) {
  const login = await expectStatus(
    await fetch(`${api}/api/v1/auth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ username: admin.email, password: admin.password }),
    }),
    200,
    'sign in as the seeded admin',
  );
  const { access_token: token } = await login.json();
  const bearer = { authorization: `Bearer ${token}` };

  // Open while Prometheus scrapes: the connections panel counts them.
  const socket = new WebSocket(`${api.replace(/^http/, 'ws')}/ws/notifications`, { headers: bearer });
  await new Promise((resolve, reject) => {
    socket.once('open', resolve);
    socket.once('error', reject);
    socket.once('unexpected-response', (_req, res) => reject(new Error(`WebSocket upgrade: ${res.statusCode}`)));
  });
  const sseAbort = new AbortController();
  await expectStatus(
    await fetch(`${api}/api/v1/events`, {
      headers: { ...bearer, accept: 'text/event-stream' },
      signal: sseAbort.signal,
    }),
    200,
    'GET /api/v1/events (SSE)',
  );

  const counts = { requests: 0, jobs: 0 };
  const request = async (what, url, init, status) => {
    counts.requests++;
    return expectStatus(await fetch(url, init), status, what);
  };
  for (let round = 0; round < 2; round++) {
    const created = await (
      await request(
        'POST /api/v1/items',
        `${api}/api/v1/items`,
        {
          method: 'POST',
          headers: { ...bearer, 'content-type': 'application/json' },
          body: JSON.stringify({ name: `observability ${runId} ${round}`, price: 3.5, tags: ['observability'] }),
        },
        201,
      )
    ).json();
    // The first read loads the item (cache miss), the next ones are served from the cache (hits).
    for (let i = 0; i < 5; i++)
      await (await request('GET item', `${api}/api/v1/items/${created.id}`, {}, 200)).arrayBuffer();
    for (let i = 0; i < 3; i++)
      await (await request('list items', `${api}/api/v1/items?limit=5`, {}, 200)).arrayBuffer();
    await request('DELETE item', `${api}/api/v1/items/${created.id}`, { method: 'DELETE', headers: bearer }, 204);
    await (await request('GET a deleted item', `${api}/api/v1/items/${created.id}`, {}, 404)).arrayBuffer();
    await (await request('GET an unknown path', `${api}/api/v1/no-such-route`, {}, 404)).arrayBuffer();

    // A CSV import job: the worker's job_runs_total and job_duration_seconds move.
    const form = new FormData();
    const csv = `name,description,price,tax,tags\r\nImported ${runId} ${round},live check,1.50,0.10,observability\r\n`;
    form.append('file', new Blob([csv], { type: 'text/csv' }), 'items.csv');
    const { jobId } = await (
      await request(
        'POST /api/v1/items/import',
        `${api}/api/v1/items/import`,
        { method: 'POST', headers: bearer, body: form },
        202,
      )
    ).json();
    const job = await waitFor(
      `import job ${jobId} to finish`,
      async () => {
        const body = await (await request('GET job', `${api}/api/v1/jobs/${jobId}`, { headers: bearer }, 200)).json();
        return ['completed', 'failed'].includes(body.state) && body;
      },
      20_000,
    );
    if (job.state !== 'completed') throw new Error(`import job ${jobId} ${job.state}: ${JSON.stringify(job.result)}`);
    counts.jobs++;
    // Let at least two scrapes see this round before the next one (scrape_interval is 1 s).
    if (round === 0) await sleep(2_500);
  }
  return {
    ...counts,
    close() {
      sseAbort.abort();
      socket.close();
    },
  };
}

async function main() {
  for (const file of ['dist/server.js', 'dist/worker.js', 'dist/seed.js']) {
    if (!existsSync(path.join(projectDir, file)))
      throw new Error(`${file} is missing: run \`npm run build && npm run build:seed\` first`);
  }
  const [apiPort, workerMetricsPort, prometheusPort] = await Promise.all([freePort(), freePort(), freePort()]);
  const metricsPassword = randomBytes(16).toString('base64url');
  const admin = { email: 'admin@observability.test', password: randomBytes(12).toString('base64url') };
  const env = {
    ...nativeAppEnv({
      publicUrl: `http://127.0.0.1:${apiPort}`,
      databaseUrl: database.url,
      redisUrl,
      redisPrefix,
      admin,
      metricsPassword,
      uploadDir: path.join(tmp, 'uploads'),
    }),
    LOG_LEVEL: 'warn',
  };
  log(
    `observability live ${runId}: api on ${apiPort}, worker metrics on ${workerMetricsPort}, prometheus on ${prometheusPort}, logs in ${tmp}`,
  );

  const alive = (name) => {
    if (procs.get(name).exitInfo) throw new Error(`${name} exited: ${procs.get(name).lines.slice(-10).join('\n')}`);
  };
  // Prometheus first: it applies its targets up to 5 s after start, which overlaps the migration,
  // and scrapes them as soon as they listen. The password file is what the compose entrypoint
  // writes, readable by Prometheus only.
  const passwordFile = path.join(tmp, 'metrics-password');
  writeFileSync(passwordFile, metricsPassword);
  chmodSync(passwordFile, 0o600);
  const config = writePrometheusConfig({ api: apiPort, worker: workerMetricsPort }, passwordFile);
  procs.start('prometheus', 'prometheus', [
    `--config.file=${config}`,
    `--storage.tsdb.path=${path.join(tmp, 'tsdb')}`,
    `--web.listen-address=127.0.0.1:${prometheusPort}`,
    '--log.level=warn',
  ]);
  const prometheus = `http://127.0.0.1:${prometheusPort}`;
  await database.create();
  await procs.run('migrate', 'sh', ['scripts/docker-migrate.sh'], { cwd: projectDir, env });
  procs.start('api', process.execPath, ['dist/server.js'], { cwd: projectDir, env: { ...env, PORT: String(apiPort) } });
  procs.start('worker', process.execPath, ['dist/worker.js'], {
    cwd: projectDir,
    env: { ...env, WORKER_METRICS_PORT: String(workerMetricsPort) },
  });
  const api = `http://127.0.0.1:${apiPort}`;
  await waitFor('api ready', async () => (alive('api'), (await fetch(`${api}/health/ready`)).ok));
  // The worker has no health endpoint: its metrics port answering is its readiness here.
  const basic = `Basic ${Buffer.from(`metrics:${metricsPassword}`).toString('base64')}`;
  await waitFor('worker metrics', async () => {
    alive('worker');
    return (await fetch(`http://127.0.0.1:${workerMetricsPort}/metrics`, { headers: { authorization: basic } })).ok;
  });
  log(`ok   migrate + seed, api and worker started ${at()}`);

  await waitFor('prometheus ready', async () => (alive('prometheus'), (await fetch(`${prometheus}/-/ready`)).ok));
  // Traffic sent before the first successful scrape would leave one sample per series, which
  // rate() cannot use: wait for every target to be up first.
  const jobCount = parse(readFileSync(config, 'utf8')).scrape_configs.length;
  const scraped = async (health = ['up', 'down']) => {
    const { activeTargets } = await prometheusApi(prometheus, '/api/v1/targets?state=active');
    if (activeTargets.length === jobCount && activeTargets.every((t) => health.includes(t.health)))
      return activeTargets;
    // Thrown, not returned: waitFor's timeout message then says which target is not up and why.
    throw new Error(activeTargets.map((t) => `${t.labels.job} ${t.health} ${t.lastError}`).join('; ') || 'no targets');
  };
  await waitFor('a successful scrape of every target', () => scraped(['up']), 15_000);
  log(`ok   prometheus scraping ${jobCount} jobs ${at()}`);

  const traffic = await driveTraffic({ api, admin });
  log(
    `ok   traffic: ${traffic.requests} api requests, ${traffic.jobs} import jobs, a WebSocket and an SSE stream open ${at()}`,
  );
  const trafficEnd = Date.now();
  const failures = [];
  try {
    // Two scrapes of every target after the traffic: the last counter increments are stored.
    const targets = await waitFor(
      'two scrapes of every target after the traffic',
      async () => {
        const targets = await scraped();
        return targets.every((t) => Date.parse(t.lastScrape) > trafficEnd + 1_000) && targets;
      },
      15_000,
    );
    for (const t of targets) {
      if (t.health !== 'up') failures.push(`target ${t.labels.job} ${t.scrapeUrl} is ${t.health}: ${t.lastError}`);
    }
    log(
      `${targets.every((t) => t.health === 'up') ? 'ok  ' : 'FAIL'} targets: ${targets.map((t) => `${t.labels.job} ${t.health}`).join(', ')} ${at()}`,
    );

    // Every group of alerts.yml loaded, every rule evaluated at least once without error.
    const failuresBefore = failures.length;
    const expectedGroups = parse(readFileSync(path.join(observabilityDir, 'alerts.yml'), 'utf8')).groups;
    const { groups } = await waitFor(
      'every alert rule evaluated',
      async () => {
        const data = await prometheusApi(prometheus, '/api/v1/rules');
        return data.groups.every((g) => g.rules.every((r) => r.health !== 'unknown')) && data;
      },
      10_000,
    );
    for (const expected of expectedGroups) {
      const group = groups.find((g) => g.name === expected.name);
      if (!group) failures.push(`alert group ${expected.name} not loaded`);
      else if (group.rules.length !== expected.rules.length)
        failures.push(`alert group ${expected.name}: ${group.rules.length} of ${expected.rules.length} rules loaded`);
      for (const rule of group?.rules ?? [])
        if (rule.health !== 'ok') failures.push(`alert ${rule.name}: health ${rule.health} ${rule.lastError ?? ''}`);
    }
    const rules = groups.flatMap((g) => g.rules);
    // The stack is healthy: an alert pending or firing now would page someone for nothing.
    for (const rule of rules)
      if (rule.state !== 'inactive') failures.push(`alert ${rule.name} is ${rule.state} on a healthy stack`);
    log(
      `${failures.length === failuresBefore ? 'ok  ' : 'FAIL'} rules: ${groups.length} groups, ${rules.length} rules, ${rules.filter((r) => r.health === 'ok').length} healthy, pending or firing: ${
        rules
          .filter((r) => r.state !== 'inactive')
          .map((r) => r.name)
          .join(', ') || 'none'
      } ${at()}`,
    );

    // Every dashboard expression, as Grafana would send it.
    const rows = [];
    for (const query of dashboardQueries()) {
      if (!query.expr) {
        rows.push({ ...query, result: `skipped (${query.skipped})` });
        continue;
      }
      let result;
      try {
        const data = await prometheusApi(prometheus, `/api/v1/query?query=${encodeURIComponent(query.expr)}`);
        const values =
          data.resultType === 'vector' ? data.result.map((s) => Number(s.value[1])) : [Number(data.result[1])];
        const finite = values.filter(Number.isFinite).length;
        result = `${values.length} series, ${finite} with a value`;
        // Empty, or only NaN (a quantile of zero rates): the panel would show "No data" or nothing.
        if (finite === 0 && !MAY_BE_EMPTY.has(query.expr))
          failures.push(
            `${query.dashboard} "${query.panel}" (${query.legend}): no data after the traffic: ${query.expr}`,
          );
        else if (finite === 0) result += ` (allowed: ${MAY_BE_EMPTY.get(query.expr)})`;
      } catch (err) {
        result = 'ERROR';
        failures.push(`${query.dashboard} "${query.panel}": ${err.message}`);
      }
      rows.push({ ...query, result });
    }
    const width = Math.max(...rows.map((r) => r.panel.length));
    log(`\n${'panel'.padEnd(width)}  ${'series'.padEnd(24)}  expr`);
    for (const row of rows) log(`${row.panel.padEnd(width)}  ${row.result.padEnd(24)}  ${row.expr ?? ''}`);
    log(`\n${rows.length} dashboard queries ${at()}`);
  } finally {
    traffic.close();
  }
  return failures;
}

// A crash or Ctrl-C must not leave the api, the worker or Prometheus running.
let cleanedUp;
const cleanup = async () => {
  cleanedUp ??= (async () => {
    await procs.stopAll();
    const leftovers = [...procs.procs.entries()].filter(([, p]) => !p.exitInfo).map(([name]) => name);
    if (leftovers.length > 0) log(`FAIL processes still running: ${leftovers.join(', ')}`);
    await database.drop().catch((err) => log(`warn: dropping ${database.name}: ${err.message}`));
    // Everything the api, the worker and BullMQ wrote is under the run's prefix.
    const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await redis
      .connect()
      .then(async () => {
        for await (const keys of redis.scanStream({ match: `${redisPrefix}*`, count: 500 }))
          if (keys.length > 0) await redis.del(...keys);
      })
      .catch((err) => log(`warn: deleting Redis keys ${redisPrefix}*: ${err.message}`))
      .finally(() => redis.disconnect());
  })();
  return cleanedUp;
};
for (const event of ['uncaughtException', 'unhandledRejection']) {
  process.on(event, (err) => {
    log(`FAIL ${event}: ${err instanceof Error ? err.stack : String(err)}`);
    void cleanup().finally(() => process.exit(1));
  });
}
for (const signal of ['SIGINT', 'SIGTERM'])
  process.on(signal, () => {
    log(`interrupted (${signal}): stopping; logs kept in ${tmp}`);
    void cleanup().finally(() => process.exit(130));
  });

let failed = true;
try {
  const failures = await main();
  failed = failures.length > 0;
  for (const failure of failures) log(`FAIL ${failure}`);
} catch (err) {
  log(`FAIL ${err instanceof Error ? err.stack : String(err)}`);
} finally {
  await cleanup();
  const keep = failed || process.env.OBSERVABILITY_LIVE_KEEP === '1';
  if (keep) log(`logs kept in ${tmp}`);
  else rmSync(tmp, { recursive: true, force: true });
}
log(`observability live: ${failed ? 'FAILED' : 'passed'} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
process.exit(failed ? 1 : 0);
