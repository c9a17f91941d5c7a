// Starts the API as a child process for the file and export benchmarks: from TypeScript
// through tsx by default (no build needed), or from dist/ with `--dist` after `npm run build`.
import { log, startProcess } from './lib.mjs';

/** `--name value`; a boolean fallback makes it a flag (`--dist`), present or not. */
export function option(name, fallback) {
  const args = process.argv.slice(2);
  const index = args.indexOf(`--${name}`);
  if (index === -1) return fallback;
  if (typeof fallback === 'boolean') return true;
  return args[index + 1] ?? fallback;
}

export function apiEnv({ databaseUrl, port, uploadDir, extra = {} }) {
  return {
    NODE_ENV: 'production',
    PORT: String(port),
    HOST: '127.0.0.1',
    DATABASE_URL: databaseUrl,
    REDIS_URL: process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379',
    REDIS_PREFIX: `bench-files:${process.pid}:`,
    JWT_SECRET: 'bench-secret-bench-secret-bench-secret-bench-secret',
    METRICS_PASSWORD: 'bench-metrics-password',
    BCRYPT_COST: '4',
    RATE_LIMIT_MAX: '1000000',
    LOGIN_RATE_LIMIT_MAX: '10000',
    LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'warn',
    UPLOAD_DIR: uploadDir,
    ADMIN_EMAIL: 'bench-admin@example.com',
    ADMIN_PASSWORD: 'bench-admin-password',
    ...extra,
  };
}

/** The api process, pinned to core 0 (this process, the client, runs beside it). */
export async function startApi(env) {
  const fromDist = option('dist', false) === true;
  // e.g. --node-options "--max-old-space-size=128" to see how far the heap policy explains RSS.
  const nodeOptions = option('node-options', '');
  if (nodeOptions) env = { ...env, NODE_OPTIONS: nodeOptions };
  log(`api: ${fromDist ? 'node dist/server.js' : 'node --import tsx src/server.ts'}${nodeOptions ? ` (NODE_OPTIONS=${nodeOptions})` : ''} on port ${env.PORT}`);
  return startProcess({
    script: fromDist ? 'dist/server.js' : 'src/server.ts',
    nodeArgs: fromDist ? [] : ['--import', 'tsx'],
    env,
    cpu: 0,
    readyUrl: `http://127.0.0.1:${env.PORT}/health/ready`,
  });
}

export async function json(url, init) {
  const response = await fetch(url, init);
  if (!response.ok) throw new Error(`${init?.method ?? 'GET'} ${url}: ${response.status} ${await response.text()}`);
  return response.json();
}

/** Registers a fresh user through the API and returns its bearer header. */
export async function bearerFor(baseUrl) {
  const email = `bench-${process.pid}-${Date.now()}@example.com`;
  const password = 'bench-user-password';
  const headers = { 'content-type': 'application/json' };
  await json(`${baseUrl}/api/v1/auth/register`, { method: 'POST', headers, body: JSON.stringify({ email, password, name: 'Bench' }) });
  const tokens = await json(`${baseUrl}/api/v1/auth/token`, { method: 'POST', headers, body: JSON.stringify({ username: email, password }) });
  return { authorization: `Bearer ${tokens.access_token}` };
}

export const mb = (bytes) => (bytes / 1024 / 1024).toFixed(1);
