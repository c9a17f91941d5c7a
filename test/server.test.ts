// The real entry point as a process: it serves, and on SIGTERM or SIGINT it stops accepting,
// finishes the requests in flight, closes PostgreSQL and Redis and exits 0.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it, vi } from 'vitest';
import { testEnv } from './helpers/app.js';

// Generous: starting from source (tsx compiles every module) takes seconds, many more on a
// loaded 2-core machine.
async function waitFor(url: string, timeoutMs = 45_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not yet listening
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${url} never became ready`);
}

describe('src/server.ts', () => {
  // SIGTERM is what orchestrators send; SIGINT is Ctrl-C in a terminal and what some process
  // supervisors send: both must drain, not drop requests.
  it.each(['SIGTERM', 'SIGINT'] as const)(
    'drains in-flight requests on %s and exits 0',
    async (signal) => {
      const port = 20_000 + Math.floor(Math.random() * 20_000);
      const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
        // A realistic bcrypt cost makes each login take a while, so requests are truly in flight.
        // debug: the "incoming request" lines below say when all ten requests have arrived.
        env: {
          ...process.env,
          ...testEnv({ PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'debug', BCRYPT_COST: '11' }),
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      child.stdout.on('data', (chunk) => (output += chunk));
      child.stderr.on('data', (chunk) => (output += chunk));
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      try {
        const base = `http://127.0.0.1:${port}`;
        await waitFor(`${base}/health/ready`);
        const credentials = { username: `drain-${port}@example.com`, password: 'drain-password' };
        const registered = await fetch(`${base}/api/v1/auth/register`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ email: credentials.username, password: credentials.password, name: 'Drain' }),
        });
        expect(registered.status).toBe(202);
        // Ten logins (bcrypt + database) are being processed when the signal arrives.
        const inFlight = Array.from({ length: 10 }, () =>
          fetch(`${base}/api/v1/auth/token`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify(credentials),
          }).then(
            (r) => r.status,
            (e: Error) => `${e.message} ${String((e.cause as Error | undefined)?.message)}`,
          ),
        );
        // Signal only once the server has received all ten (its request log says so).
        const received = () =>
          output
            .split('\n')
            .filter((line) => line.includes('"url":"/api/v1/auth/token"') && line.includes('incoming request')).length;
        while (received() < 10) await new Promise((resolve) => setTimeout(resolve, 10));
        child.kill(signal);
        const statuses = await Promise.all(inFlight);
        expect(statuses, output).toEqual(Array(10).fill(200));
        expect(await exited, output).toBe(0);
        const shutdown = output.split('\n').find((line) => line.includes('"msg":"shutting down"'));
        expect(shutdown, output).toBeDefined();
        expect(JSON.parse(shutdown!).signal).toBe(signal);
        // Once it is gone, nothing listens there any more.
        await expect(fetch(`http://127.0.0.1:${port}/health/live`)).rejects.toThrow();
      } finally {
        if (child.exitCode === null) child.kill('SIGKILL');
      }
    },
    90_000,
  );
});

const { scripts } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  scripts: Record<string, string>;
};
const WATCHERS = {
  'tsx watch': [process.execPath, 'node_modules/tsx/dist/cli.mjs', 'watch', 'src/server.ts'],
  // What `npm run dev:api` and `npm run dev` run.
  'the dev:api script': ['/bin/sh', '-c', `exec ${scripts['dev:api']}`],
};

/** The api from source, its output collected; `detached` gives it a process group of its own. */
function startApi(env: Record<string, string>, command = [process.execPath, '--import', 'tsx', 'src/server.ts']) {
  const { FORCE_COLOR: _color, ...inherited } = process.env;
  const child = spawn(command[0]!, command.slice(1), {
    env: { ...inherited, NO_COLOR: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const api = {
    child,
    output: '',
    exited: new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code))),
  };
  child.stdout.on('data', (chunk) => (api.output += chunk));
  child.stderr.on('data', (chunk) => (api.output += chunk));
  return api;
}

/** Ends whatever is left of a test's process group. */
function killGroup(child: ChildProcess): void {
  try {
    process.kill(-child.pid!, 'SIGKILL');
  } catch {
    // already gone
  }
}

const randomPort = () => 20_000 + Math.floor(Math.random() * 20_000);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('src/server.ts in a terminal', () => {
  // Ctrl-C signals the terminal's whole foreground process group: the watcher and the api
  // both get SIGINT, and tsx watch relays its own to the api, which so receives two.
  it.each(Object.keys(WATCHERS) as (keyof typeof WATCHERS)[])(
    'drains and exits 0 on Ctrl-C under %s (SIGINT to the process group)',
    async (watcher) => {
      const port = randomPort();
      const api = startApi(
        testEnv({ PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'info', DRAIN_DELAY: '1s' }),
        WATCHERS[watcher],
      );
      try {
        await waitFor(`http://127.0.0.1:${port}/health/ready`);
        process.kill(-api.child.pid!, 'SIGINT');
        expect(await api.exited, api.output).toBe(0);
        expect(api.output.match(/"msg":"shutting down"/g), api.output).toHaveLength(1);
        expect(api.output).toContain('"msg":"stopped"');
        expect(api.output).not.toMatch(/second SIGINT|Force killing/);
      } finally {
        killGroup(api.child);
      }
    },
    90_000,
  );

  it('takes a SIGINT repeated within a second for the same one, and a later one for "exit now"', async () => {
    const port = randomPort();
    const api = startApi(testEnv({ PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'info', DRAIN_DELAY: '10s' }));
    try {
      await waitFor(`http://127.0.0.1:${port}/health/ready`);
      api.child.kill('SIGINT');
      await vi.waitFor(() => expect(api.output).toContain('"msg":"shutting down"'), { timeout: 10_000 });
      // The relayed copy, once the first was handled (two at once would merge into one).
      api.child.kill('SIGINT');
      // Draining (readiness 503) for DRAIN_DELAY: still alive after the repeat.
      await sleep(1_200);
      expect(api.child.exitCode, api.output).toBeNull();
      expect((await fetch(`http://127.0.0.1:${port}/health/ready`)).status).toBe(503);
      // Ctrl-C pressed again: the user does not want to wait for the drain.
      api.child.kill('SIGINT');
      expect(await api.exited, api.output).toBe(1);
      expect(api.output).toContain('second SIGINT, exiting');
      expect(api.output).not.toContain('"msg":"stopped"');
    } finally {
      killGroup(api.child);
    }
  }, 90_000);

  it('in development, says where the app and its docs are and logs one line per request', async () => {
    const port = randomPort();
    const api = startApi(testEnv({ NODE_ENV: 'development', PORT: String(port), HOST: '0.0.0.0', LOG_LEVEL: 'info' }));
    try {
      await waitFor(`http://127.0.0.1:${port}/health/ready`);
      const startup = api.output.split('\n').filter((line) => line.includes('api ready'));
      expect(startup, api.output).toEqual([
        expect.stringMatching(
          new RegExp(`INFO: api ready: http://localhost:${port} \\(API docs: http://localhost:${port}/docs\\)$`),
        ),
      ]);

      const before = api.output.length;
      expect((await fetch(`http://127.0.0.1:${port}/api/v1/items?limit=1`)).status).toBe(200);
      await vi.waitFor(() => expect(api.output.length).toBeGreaterThan(before));
      await sleep(200);
      const lines = api.output.slice(before).split('\n').filter(Boolean);
      expect(lines, api.output.slice(before)).toEqual([
        expect.stringMatching(/^\[[\d:.]+\] INFO: GET \/api\/v1\/items\?limit=1 200 \d+\.\d ms$/),
      ]);

      api.child.kill('SIGINT');
      expect(await api.exited, api.output).toBe(0);
      expect(api.output).toMatch(/INFO: stopped$/m);
    } finally {
      killGroup(api.child);
    }
  }, 90_000);
});
