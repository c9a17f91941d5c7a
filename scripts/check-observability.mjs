// Static check (scripts/static-checks.sh) of deploy/observability, the files of
// `docker compose --profile observability up`: every YAML and JSON file parses; the Grafana
// dashboard uses only the provisioned data sources' uids and queries only metrics the app
// exports; Prometheus loads the alert rules file; and, where promtool is installed (Debian:
// apt-get install prometheus), `promtool check rules` and `promtool check config` pass.
//   node scripts/check-observability.mjs
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';

const root = 'deploy/observability';
const problems = [];
const files = [];
const walk = (dir) => {
  for (const name of readdirSync(dir)) {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) walk(full);
    else files.push(full);
  }
};
walk(root);

const parsed = {};
for (const file of files) {
  try {
    const text = readFileSync(file, 'utf8');
    if (file.endsWith('.json')) parsed[file] = JSON.parse(text);
    else if (/\.ya?ml$/.test(file)) parsed[file] = parse(text, { strict: true, uniqueKeys: true });
    else problems.push(`${file}: neither YAML nor JSON`);
  } catch (err) {
    problems.push(`${file}: ${err.message}`);
  }
}

// The dashboard's data sources are the provisioned ones.
const datasources = parsed[`${root}/grafana/provisioning/datasources/datasources.yaml`]?.datasources ?? [];
const uids = new Set(datasources.map((d) => d.uid));
const dashboards = files.filter((f) => f.startsWith(`${root}/grafana/dashboards/`) && f.endsWith('.json'));
// Metric names the app (api, worker) and Prometheus itself export; a typo in a panel shows no data.
const exported =
  /^(http_requests_total|http_request_duration_seconds_bucket|http_cache_lookups_total|db_pool_connections|db_pool_max_connections|redis_connection_up|job_queue_jobs|job_runs_total|job_duration_seconds_bucket|realtime_websocket_connections|realtime_sse_streams|nodejs_eventloop_lag_p99_seconds|up)$/;
const metricNames = (expr) =>
  [...expr.matchAll(/\b([a-z_][a-z0-9_]*)\s*(?:\{|\[)/g)]
    .map((m) => m[1])
    .filter(
      (name) =>
        !['by', 'without', 'rate', 'increase', 'sum', 'max', 'min', 'histogram_quantile', 'clamp_min'].includes(name),
    );
let panels = 0;
for (const file of dashboards) {
  const dashboard = parsed[file];
  if (!dashboard?.uid || !dashboard?.title) problems.push(`${file}: a dashboard needs a uid and a title`);
  for (const panel of dashboard?.panels ?? []) {
    if (panel.type === 'row') continue;
    panels++;
    for (const target of [panel, ...(panel.targets ?? [])]) {
      const uid = target.datasource?.uid;
      if (uid && !uids.has(uid))
        problems.push(`${file}: panel "${panel.title}" uses data source ${uid}, not provisioned`);
    }
    for (const target of panel.targets ?? [])
      if (target.expr)
        for (const name of metricNames(target.expr))
          if (!exported.test(name))
            problems.push(`${file}: panel "${panel.title}" queries ${name}, which nothing exports`);
  }
}

const prometheus = parsed[`${root}/prometheus.yml`];
if (!prometheus?.rule_files?.includes('/etc/prometheus/alerts.yml'))
  problems.push('prometheus.yml does not load /etc/prometheus/alerts.yml');
const rules = parsed[`${root}/alerts.yml`]?.groups?.flatMap((g) => g.rules) ?? [];
for (const rule of rules) {
  if (!rule.alert || !rule.expr) problems.push(`alerts.yml: a rule without alert or expr: ${JSON.stringify(rule)}`);
  if (!rule.annotations?.summary) problems.push(`alerts.yml: ${rule.alert} has no summary`);
}

let promtool = 'promtool not installed: rule syntax checked by parsing only';
if (spawnSync('promtool', ['--version'], { stdio: 'ignore' }).status === 0) {
  const rulesCheck = spawnSync('promtool', ['check', 'rules', `${root}/alerts.yml`], { encoding: 'utf8' });
  if (rulesCheck.status !== 0) problems.push(`promtool check rules: ${rulesCheck.stdout}${rulesCheck.stderr}`);
  // The config as the container sees it: rule file and password file at their mounted paths.
  const dir = mkdtempSync(path.join(os.tmpdir(), 'prometheus-'));
  writeFileSync(path.join(dir, 'metrics-password'), 'x');
  writeFileSync(path.join(dir, 'alerts.yml'), readFileSync(`${root}/alerts.yml`));
  const config = readFileSync(`${root}/prometheus.yml`, 'utf8')
    .replaceAll('/etc/prometheus/alerts.yml', path.join(dir, 'alerts.yml'))
    .replaceAll('/tmp/metrics-password', path.join(dir, 'metrics-password'));
  writeFileSync(path.join(dir, 'prometheus.yml'), config);
  const configCheck = spawnSync('promtool', ['check', 'config', path.join(dir, 'prometheus.yml')], {
    encoding: 'utf8',
  });
  if (configCheck.status !== 0) problems.push(`promtool check config: ${configCheck.stdout}${configCheck.stderr}`);
  promtool = 'promtool check rules and check config pass';
}

if (problems.length) {
  console.error(problems.join('\n'));
  process.exit(1);
}
console.log(
  `observability: ${files.length} files parse; ${panels} dashboard panels on provisioned data sources and exported metrics; ${rules.length} alert rules; ${promtool}`,
);
