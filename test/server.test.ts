// The real entry point as a process: it serves, and on SIGTERM or SIGINT it stops accepting,
// finishes the requests in flight, closes PostgreSQL and Redis and exits 0.
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { testEnv } from './helpers/app.js';

async function waitFor(url: string, timeoutMs = 20_000): Promise<void> {
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
  it.each(['SIGTERM', 'SIGINT'] as const)('drains in-flight requests on %s and exits 0', async (signal) => {
    const port = 20_000 + Math.floor(Math.random() * 20_000);
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
      // A realistic bcrypt cost makes each login take a while, so requests are truly in flight.
      // debug: the "incoming request" lines below say when all ten requests have arrived.
      env: { ...process.env, ...testEnv({ PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'debug', BCRYPT_COST: '11' }) },
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
      expect(registered.status).toBe(201);
      // Ten logins (bcrypt + database) are being processed when the signal arrives.
      const inFlight = Array.from({ length: 10 }, () =>
        fetch(`${base}/api/v1/auth/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(credentials) }).then(
          (r) => r.status,
          (e: Error) => `${e.message} ${String((e.cause as Error | undefined)?.message)}`,
        ),
      );
      // Signal only once the server has received all ten (its request log says so).
      const received = () => output.split('\n').filter((line) => line.includes('"url":"/api/v1/auth/token"') && line.includes('incoming request')).length;
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
  }, 40_000);
});
