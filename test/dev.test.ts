// `npm run dev` (scripts/dev.mjs) and its preflight (scripts/dev-preflight.mjs), as a developer
// runs them: real processes, the run's PostgreSQL database and Redis prefix.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, inject, it, vi } from 'vitest';
import { testEnv } from './helpers/app.js';

const run = promisify(execFile);

/** `node scripts/dev-preflight.mjs` with exactly `env` (plus PATH): exit code and output. */
async function preflight(env: Record<string, string>) {
  const started = performance.now();
  try {
    const { stdout } = await run(process.execPath, ['scripts/dev-preflight.mjs'], {
      env: { PATH: process.env.PATH ?? '', ...env },
    });
    return { code: 0, output: stdout, ms: performance.now() - started };
  } catch (err) {
    const failed = err as { code: number; stdout: string; stderr: string };
    return { code: failed.code, output: failed.stdout + failed.stderr, ms: performance.now() - started };
  }
}

const withDatabase = (databaseUrl: string) => ({ DATABASE_URL: databaseUrl, REDIS_URL: inject('redisUrl') });
const databaseNamed = (name: string) => {
  const url = new URL(inject('databaseUrl'));
  url.pathname = `/${name}`;
  return url.toString();
};

describe('scripts/dev-preflight.mjs', () => {
  it('passes when PostgreSQL (migrated) and Redis answer, and says where email goes', async () => {
    const result = await preflight(withDatabase(inject('databaseUrl')));
    expect(result.code, result.output).toBe(0);
    expect(result.output).toMatch(/PostgreSQL answers at 127\.0\.0\.1:5432\/test_\w+, schema up to date/);
    expect(result.output).toMatch(/Redis answers at 127\.0\.0\.1:6379/);
    expect(result.output).toMatch(/SMTP_URL unset.*Mailpit.*SMTP_URL=smtp:\/\/127\.0\.0\.1:1025/);
    // Where, never with which credentials.
    expect(result.output).not.toContain('postgres:postgres');
  });

  it('says how to start Redis when it does not answer, and fails fast', async () => {
    const result = await preflight({ ...withDatabase(inject('databaseUrl')), REDIS_URL: 'redis://127.0.0.1:1' });
    expect(result.code).toBe(1);
    expect(result.output).toContain('Redis does not answer at 127.0.0.1:1 (ECONNREFUSED)');
    expect(result.output).toMatch(/systemctl start redis-server/);
    expect(result.output).toMatch(/redis-server --daemonize yes/);
    expect(result.ms).toBeLessThan(5_000);
  });

  it('says how to start PostgreSQL when it does not answer', async () => {
    const url = new URL(inject('databaseUrl'));
    url.port = '1';
    const result = await preflight(withDatabase(url.toString()));
    expect(result.code).toBe(1);
    expect(result.output).toContain('PostgreSQL does not answer at 127.0.0.1:1');
    expect(result.output).toMatch(/systemctl start postgresql/);
    expect(result.output).toMatch(/brew services start postgresql/);
  });

  it('says how to create a missing database and its schema', async () => {
    const missing = await preflight(withDatabase(databaseNamed('no_such_database_for_preflight')));
    expect(missing.code).toBe(1);
    expect(missing.output).toContain('database "no_such_database_for_preflight" does not exist');
    expect(missing.output).toContain('createdb -h 127.0.0.1 -p 5432 -U postgres no_such_database_for_preflight');
    expect(missing.output).toContain('npm run db:deploy && npm run db:seed');

    // A database without the schema (the server's maintenance database has none of it).
    const empty = await preflight(withDatabase(databaseNamed('postgres')));
    expect(empty.code).toBe(1);
    expect(empty.output).toMatch(/no schema yet[\s\S]*npm run db:deploy && npm run db:seed/);
  });

  it('asks for a .env when DATABASE_URL is not set', async () => {
    // NODE_ENV=production: like the app, no .env is read, whatever the developer's checkout has.
    const result = await preflight({ NODE_ENV: 'production' });
    expect(result.code).toBe(1);
    expect(result.output).toContain('DATABASE_URL is not set');
    expect(result.output).toContain('cp .env.example .env');
  });
});

/** Ends whatever is left of a test's process group. */
function killGroup(child: ChildProcess): void {
  try {
    process.kill(-child.pid!, 'SIGKILL');
  } catch {
    // already gone
  }
}

describe('npm run dev (scripts/dev.mjs)', () => {
  function startDev(env: Record<string, string>) {
    const { FORCE_COLOR: _color, ...inherited } = process.env;
    // Its own process group, as a terminal's foreground job has: Ctrl-C signals all of it.
    const child = spawn(process.execPath, ['scripts/dev.mjs'], {
      env: { ...inherited, NO_COLOR: '1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    const dev = {
      child,
      output: '',
      exited: new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code))),
    };
    child.stdout.on('data', (chunk) => (dev.output += chunk));
    child.stderr.on('data', (chunk) => (dev.output += chunk));
    return dev;
  }

  it('does not start anything when the preflight fails', async () => {
    const dev = startDev(testEnv({ NODE_ENV: 'development', REDIS_URL: 'redis://127.0.0.1:1' }));
    try {
      expect(await dev.exited, dev.output).toBe(1);
      expect(dev.output).toContain('Redis does not answer');
      expect(dev.output).not.toContain('[api]');
    } finally {
      killGroup(dev.child);
    }
  });

  it('runs the api, the worker and the web app (in watch mode), says which URL to open, and Ctrl-C stops all gracefully', async () => {
    const port = 20_000 + Math.floor(Math.random() * 20_000);
    const webPort = port + 1;
    const dev = startDev(
      testEnv({
        NODE_ENV: 'development',
        PORT: String(port),
        HOST: '127.0.0.1',
        LOG_LEVEL: 'info',
        WEB_DEV_PORT: String(webPort),
      }),
    );
    try {
      await vi.waitFor(
        async () => {
          expect(dev.child.exitCode, dev.output).toBeNull();
          expect((await fetch(`http://127.0.0.1:${port}/health/ready`)).status).toBe(200);
          expect(dev.output).toMatch(/\[worker\] .*worker started/);
          expect(dev.output).toContain(`open http://127.0.0.1:${webPort}`);
        },
        { timeout: 60_000, interval: 250 },
      );
      // ONE line says where to go (Vite's own banner is off), and there the app and, through
      // Vite's proxy, the api answer.
      expect(dev.output.match(/➜ +open /g)).toHaveLength(1);
      expect(dev.output).not.toMatch(/Local: +http/);
      const page = await fetch(`http://127.0.0.1:${webPort}/items`, { headers: { accept: 'text/html' } });
      expect(page.status).toBe(200);
      expect(await page.text()).toMatch(/<div id="root">/);
      const info = await fetch(`http://127.0.0.1:${webPort}/api/v1/info`);
      expect(await info.json()).toMatchObject({ docs: '/docs' });
      expect(dev.output).toMatch(/preflight: PostgreSQL answers/);
      expect(dev.output).toMatch(
        new RegExp(
          `\\[api\\] +.*api ready: http://127\\.0\\.0\\.1:${port} \\(API docs: http://127\\.0\\.0\\.1:${port}/docs\\)`,
        ),
      );
      expect(dev.output).not.toMatch(/Failed running/);

      process.kill(-dev.child.pid!, 'SIGINT');
      expect(await dev.exited, dev.output).toBe(0);
      expect(dev.output).toMatch(/\[api\] +.*shutting down/);
      expect(dev.output).toMatch(/\[api\] +.*INFO: stopped/);
      expect(dev.output).toMatch(/\[worker\] .*worker stopped/);
      expect(dev.output).not.toMatch(/second SIGINT|Force killing/);
      await expect(fetch(`http://127.0.0.1:${webPort}/`)).rejects.toThrow();
    } finally {
      killGroup(dev.child);
    }
  }, 120_000);
});
