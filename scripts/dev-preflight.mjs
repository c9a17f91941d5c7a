#!/usr/bin/env node
// Before `npm run dev` starts anything: do PostgreSQL and Redis answer where DATABASE_URL and
// REDIS_URL say (read from the environment and .env, as the app reads them), is the schema
// migrated, and where do emails go? Every check gives up after a couple of seconds. Prints one
// line per check, or the exact commands that fix what is missing and exits 1.
// Alone: `node scripts/dev-preflight.mjs`.
import { existsSync, readdirSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import dotenv from 'dotenv';
import { Redis } from 'ioredis';
import pg from 'pg';

const projectDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const TIMEOUT_MS = 2_000;
const UNREACHABLE = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/** Host and port of a URL (and its path, the database), never its user or password. */
function where(url, defaultPort) {
  return `${url.hostname}:${url.port || defaultPort}${url.pathname.length > 1 ? url.pathname : ''}`;
}

function unreachable(err) {
  return UNREACHABLE.has(err.code) || /timeout|timed out|terminated/i.test(err.message);
}

function reason(err) {
  return err.code && !/^\d/.test(err.code) ? err.code : err.message;
}

async function checkPostgres(databaseUrl) {
  const url = new URL(databaseUrl);
  const target = where(url, 5432);
  const host = `-h ${url.hostname} -p ${url.port || 5432} -U ${decodeURIComponent(url.username) || 'postgres'}`;
  const database = decodeURIComponent(url.pathname.slice(1));
  const client = new pg.Client({
    connectionString: databaseUrl,
    connectionTimeoutMillis: TIMEOUT_MS,
    query_timeout: TIMEOUT_MS,
  });
  client.on('error', () => {});
  try {
    await client.connect();
  } catch (err) {
    if (unreachable(err)) {
      return {
        error: [
          `PostgreSQL does not answer at ${target} (${reason(err)}). Start it, then run npm run dev again:`,
          '  Debian/Ubuntu:  sudo systemctl start postgresql      (install: sudo apt-get install postgresql)',
          '  macOS:          brew services start postgresql@16',
          '  Docker:         docker run -d --name app-postgres -p 127.0.0.1:5432:5432 -e POSTGRES_PASSWORD=postgres postgres:16',
          'DATABASE_URL (in .env) says where it is.',
        ],
      };
    }
    if (err.code === '3D000') {
      return {
        error: [
          `PostgreSQL answers at ${url.hostname}:${url.port || 5432}, but database "${database}" does not exist. Create it and its schema:`,
          `  createdb ${host} ${database}      (or: psql ${host} -c 'CREATE DATABASE "${database}"')`,
          '  npm run db:deploy && npm run db:seed',
        ],
      };
    }
    if (err.code === '28P01' || err.code === '28000') {
      return {
        error: [
          `PostgreSQL at ${target} refused the user "${decodeURIComponent(url.username)}" (${err.message}).`,
          'Fix the user and password in DATABASE_URL (.env). A fresh Debian/Ubuntu install gives the postgres user no password:',
          `  sudo -u postgres psql -c "ALTER USER postgres PASSWORD 'postgres'"      (the password .env.example uses)`,
        ],
      };
    }
    return { error: [`PostgreSQL at ${target}: ${err.message}`] };
  }
  try {
    const migrationsDir = path.join(projectDir, 'prisma', 'migrations');
    const committed = readdirSync(migrationsDir, { withFileTypes: true })
      .filter((entry) => entry.isDirectory() && existsSync(path.join(migrationsDir, entry.name, 'migration.sql')))
      .map((entry) => entry.name);
    let applied;
    try {
      const { rows } = await client.query(
        'SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL',
      );
      applied = new Set(rows.map((row) => row.migration_name));
    } catch (err) {
      if (err.code !== '42P01') throw err;
      return {
        error: [
          `PostgreSQL answers at ${target}, but the database has no schema yet. Create it and the admin account:`,
          '  npm run db:deploy && npm run db:seed',
        ],
      };
    }
    const pending = committed.filter((name) => !applied.has(name));
    if (pending.length > 0)
      return {
        warning: `PostgreSQL at ${target}: ${pending.length} migration(s) not applied (${pending.join(', ')}): npm run db:deploy`,
      };
    return { ok: `PostgreSQL answers at ${target}, schema up to date` };
  } catch (err) {
    return { error: [`PostgreSQL at ${target}: ${err.message}`] };
  } finally {
    await client.end().catch(() => {});
  }
}

async function checkRedis(redisUrl) {
  const url = new URL(redisUrl);
  const target = where(url, 6379);
  const redis = new Redis(redisUrl, {
    lazyConnect: true,
    connectTimeout: TIMEOUT_MS,
    commandTimeout: TIMEOUT_MS,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  // The socket's error (ECONNREFUSED...) comes as an event; connect() then only says "closed".
  let socketError;
  redis.on('error', (err) => (socketError ??= err));
  try {
    await redis.connect();
    await redis.ping();
    return { ok: `Redis answers at ${target}` };
  } catch (caught) {
    const err = socketError ?? caught;
    if (/NOAUTH|WRONGPASS/.test(err.message)) {
      return {
        error: [
          `Redis at ${target} wants a password (${err.message}): put it in REDIS_URL (.env), redis://:password@${url.host}`,
        ],
      };
    }
    return {
      error: [
        `Redis does not answer at ${target} (${reason(err)}). Start it, then run npm run dev again:`,
        '  Debian/Ubuntu:  sudo systemctl start redis-server    (install: sudo apt-get install redis-server)',
        '  macOS:          brew services start redis',
        '  anywhere:       redis-server --daemonize yes',
        '  Docker:         docker run -d --name app-redis -p 127.0.0.1:6379:6379 redis:7',
        'REDIS_URL (in .env) says where it is.',
      ],
    };
  } finally {
    redis.disconnect();
  }
}

/** Email is optional: without SMTP_URL the worker logs each message instead of sending it. */
async function checkSmtp(smtpUrl) {
  const mailpit = 'Mailpit (a local inbox: run `mailpit`, open http://localhost:8025)';
  if (!smtpUrl)
    return {
      ok: `email: SMTP_URL unset, emails go to the worker's log; to read them in ${mailpit}, set SMTP_URL=smtp://127.0.0.1:1025`,
    };
  const url = new URL(smtpUrl);
  const port = Number(url.port || (url.protocol === 'smtps:' ? 465 : 587));
  const answered = await new Promise((resolve) => {
    const socket = net.connect({ host: url.hostname, port, timeout: TIMEOUT_MS });
    const done = (result) => {
      socket.destroy();
      resolve(result);
    };
    socket.once('connect', () => done(true));
    socket.once('timeout', () => done(false));
    socket.once('error', () => done(false));
  });
  if (answered) return { ok: `email: an SMTP server answers at ${url.hostname}:${port}` };
  return {
    warning: `email: nothing answers at SMTP_URL (${url.hostname}:${port}); emails wait in the queue and are retried. Start ${mailpit}`,
  };
}

/**
 * Runs every check and prints the outcome; true when the stack can start. `env` defaults to
 * the process environment with .env under it, as src/config.ts loads it.
 */
export async function preflight({
  env = process.env,
  cwd = projectDir,
  write = (line) => process.stdout.write(`${line}\n`),
} = {}) {
  const envFile = path.join(cwd, '.env');
  if (env.NODE_ENV !== 'production' && existsSync(envFile))
    dotenv.config({ path: envFile, quiet: true, processEnv: env });
  if (!env.DATABASE_URL) {
    write('preflight: DATABASE_URL is not set. Copy the local defaults and edit them if needed:');
    write('  cp .env.example .env');
    return false;
  }
  const results = await Promise.all([
    checkPostgres(env.DATABASE_URL),
    checkRedis(env.REDIS_URL || 'redis://127.0.0.1:6379'),
    checkSmtp(env.SMTP_URL?.trim()),
  ]);
  for (const result of results) {
    if (result.ok) write(`preflight: ${result.ok}`);
    if (result.warning) write(`preflight: warning: ${result.warning}`);
    for (const [index, line] of (result.error ?? []).entries()) write(index === 0 ? `preflight: ${line}` : line);
  }
  return results.every((result) => !result.error);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  // Exits at once: a refused Redis connection leaves ioredis's connect timer running.
  process.exit((await preflight()) ? 0 : 1);
}
