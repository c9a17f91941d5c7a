// Global setup of `npm run test:web`: the run's database and Redis prefix (test/helpers/
// global-setup.ts), a fake SMTP server, then two api instances and the worker started from
// dist/ as in production (`node dist/server.js`, as tools/topology does), both api instances
// serving the built web app. A small control server lets the test files read the emails the
// worker sent and restart an api instance (the chat reconnect test). Every process is stopped
// by its pid at the end.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { ProcessGroup, freePort, waitFor } from '../../scripts/lib/processes.mjs';
import { FakeSmtp } from '../helpers/fake-smtp.js';
import setupDatabase from '../helpers/global-setup.js';

/** What the test files get through `inject('webStack')`. */
export interface WebStack {
  /** The two api instances, each a complete app (the web app, the API, WebSockets). */
  apiA: string;
  apiB: string;
  /**
   * A third instance of the same stack whose access tokens last ACCESS_TOKEN_TTL seconds only,
   * for the silent refresh. Not on a and b: live connections end when their token expires, and
   * a chat notice sent while one reconnects is not replayed.
   */
  apiShortTokens: string;
  /** GET /mail: the emails sent so far; POST /restart/api-b: restart that instance. */
  control: string;
  databaseUrl: string;
  /** ACCESS_TOKEN_TTL of apiShortTokens, in seconds. */
  accessTokenTtl: number;
  maxUploadBytes: number;
}

declare module 'vitest' {
  export interface ProvidedContext {
    webStack: WebStack;
  }
}

/** scripts/lib/processes.mjs's ProcessGroup as this file uses it (its JSDoc types are partial). */
interface Processes {
  start(
    name: string,
    command: string,
    args: string[],
    options: { cwd: string; env: Record<string, string | undefined> },
  ): void;
  get(name: string): { lines: string[]; exitInfo?: { code: number | null } } | undefined;
  stop(name: string, signal?: string): Promise<unknown>;
  stopAll(): Promise<void>;
}

const projectDir = path.resolve(import.meta.dirname, '../..');
const ACCESS_TOKEN_TTL = 12;
const MAX_UPLOAD_BYTES = 256 * 1024;

export default async function setup(project: TestProject) {
  const webDist = path.resolve(process.env.WEB_DIST_DIR ?? path.join(projectDir, 'web/dist'));
  for (const file of ['dist/server.js', 'dist/worker.js', path.join(webDist, 'index.html')]) {
    if (!existsSync(path.resolve(projectDir, file)))
      throw new Error(`${file} is missing: run \`npm run build\` first (npm run test:web does)`);
  }
  const dropDatabase = await setupDatabase(project);
  const { databaseUrl, redisUrl, redisPrefix, runId } = project.getProvidedContext();
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'web-e2e-'));
  const procs = new ProcessGroup(tmp) as unknown as Processes;
  const smtp = new FakeSmtp();
  await smtp.start();
  const [portA, portB, portC, controlPort] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);

  const env = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    PUBLIC_URL: `http://127.0.0.1:${portA}`,
    CORS_ORIGINS: `http://127.0.0.1:${portA},http://127.0.0.1:${portB},http://127.0.0.1:${portC}`,
    DATABASE_URL: databaseUrl,
    DATABASE_POOL_MAX: '5',
    REDIS_URL: redisUrl,
    REDIS_PREFIX: redisPrefix,
    JWT_SECRET: randomBytes(48).toString('base64url'),
    METRICS_PASSWORD: randomBytes(16).toString('base64url'),
    ADMIN_PASSWORD: randomBytes(16).toString('base64url'),
    BCRYPT_COST: '4',
    UPLOAD_DIR: path.join(tmp, 'uploads'),
    MAX_UPLOAD_BYTES: String(MAX_UPLOAD_BYTES),
    SMTP_URL: smtp.url,
    WEB_DIST_DIR: webDist,
    LOG_LEVEL: 'warn',
    // Every page load, sign-up and sign-in comes from 127.0.0.1: the limits are not under test.
    RATE_LIMIT_MAX: '1000000',
    LOGIN_RATE_LIMIT_MAX: '10000',
    MAX_EVENT_LOOP_DELAY: '0',
    JOB_BACKOFF_MS: '200',
  };
  const instances = { 'api-a': portA, 'api-b': portB, 'api-c': portC } as const;
  type Instance = keyof typeof instances;

  async function startApi(name: Instance) {
    const port = instances[name];
    const ttl = name === 'api-c' ? { ACCESS_TOKEN_TTL: `${ACCESS_TOKEN_TTL}s` } : {};
    procs.start(name, process.execPath, ['dist/server.js'], {
      cwd: projectDir,
      env: { ...env, ...ttl, PORT: String(port) },
    });
    await waitFor(
      `${name} ready`,
      async () => {
        const proc = procs.get(name);
        if (proc?.exitInfo) throw new Error(`${name} exited: ${proc.lines.slice(-10).join('\n')}`);
        return (await fetch(`http://127.0.0.1:${port}/health/ready`)).ok;
        // Three instances and the worker start at once on a small, shared machine.
      },
      90_000,
    );
  }

  procs.start('worker', process.execPath, ['dist/worker.js'], { cwd: projectDir, env });
  try {
    await Promise.all([startApi('api-a'), startApi('api-b'), startApi('api-c')]);
  } catch (err) {
    await procs.stopAll();
    await smtp.stop();
    await dropDatabase?.();
    throw err;
  }

  const control: Server = createServer((request, response) => {
    const send = (status: number, body: unknown) =>
      response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    const restart = /^\/restart\/(api-a|api-b)$/.exec(request.url ?? '');
    if (request.method === 'GET' && request.url === '/mail') return send(200, smtp.received);
    if (request.method === 'POST' && restart) {
      const name = restart[1] as Instance;
      procs
        .stop(name, 'SIGTERM')
        .then(() => startApi(name))
        .then(
          () => send(200, { restarted: name }),
          (err: Error) => send(500, { error: err.message }),
        );
      return;
    }
    send(404, { error: 'no such control' });
  });
  await new Promise<void>((resolve) => control.listen(controlPort, '127.0.0.1', resolve));

  project.provide('webStack', {
    apiA: `http://127.0.0.1:${portA}`,
    apiB: `http://127.0.0.1:${portB}`,
    apiShortTokens: `http://127.0.0.1:${portC}`,
    control: `http://127.0.0.1:${controlPort}`,
    databaseUrl,
    accessTokenTtl: ACCESS_TOKEN_TTL,
    maxUploadBytes: MAX_UPLOAD_BYTES,
  });
  process.stdout.write(`web e2e run ${runId}: api on ${portA} and ${portB}, logs in ${tmp}\n`);

  return async () => {
    control.close();
    await procs.stopAll();
    await smtp.stop();
    await dropDatabase?.();
  };
}
