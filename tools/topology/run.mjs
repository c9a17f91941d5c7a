#!/usr/bin/env node
// `npm run test:topology`: the compose topology, run natively on loopback. It starts the one-shot
// migrate (scripts/docker-migrate.sh, as the migrate service does), two api instances, the worker
// and Debian's nginx with the project's real nginx/ configuration (templated only for upstream
// addresses and ports, scripts/lib/nginx-config.mjs), then checks through nginx what a
// client of the compose stack relies on. Redis is a private redis-server with a password (as in
// compose), which the api, the worker and BullMQ get through REDIS_URL only. Every process it
// starts is stopped by process id, the scratch database is dropped.
// TOPOLOGY_STORAGE_DRIVER=s3: files in a bucket (an in-process s3rver) instead of a shared
// UPLOAD_DIR; each api and the worker then gets an upload directory of its own, never created.
// Needs: nginx, openssl and redis-server on PATH, PostgreSQL (DATABASE_ADMIN_URL), and a build
// (`npm run build && npm run build:seed`, which the npm script runs first).
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { nativeAppEnv } from '../../scripts/lib/app-env.mjs';
import { scratchDatabase } from '../../scripts/lib/scratch-database.mjs';
import S3rver from 's3rver';
import { Redis } from 'ioredis';
import { topologyChecks } from './checks.mjs';
import { writeNginxConfig } from '../../scripts/lib/nginx-config.mjs';
import { ProcessGroup, freePort, waitFor } from '../../scripts/lib/processes.mjs';

const projectDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const keepTemp = process.env.TOPOLOGY_KEEP === '1';

const runId = `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
const database = scratchDatabase(`topology_${runId}`);
const redisPrefix = `topology:${runId}:`;
const tmp = mkdtempSync(path.join(os.tmpdir(), 'topology-'));
const procs = new ProcessGroup(tmp);

const log = (line) => process.stdout.write(`${line}\n`);
const onS3 = process.env.TOPOLOGY_STORAGE_DRIVER === 's3';
let s3rver;

/** The bucket the instances share on TOPOLOGY_STORAGE_DRIVER=s3 (s3rver, data under tmp). */
async function startS3(port) {
  s3rver = new S3rver({
    address: '127.0.0.1',
    port,
    silent: true,
    directory: path.join(tmp, 's3'),
    configureBuckets: [{ name: 'topology' }],
  });
  await s3rver.run();
  return {
    STORAGE_DRIVER: 's3',
    S3_ENDPOINT: `http://127.0.0.1:${port}`,
    S3_BUCKET: 'topology',
    S3_ACCESS_KEY_ID: 'S3RVER',
    S3_SECRET_ACCESS_KEY: 'S3RVER',
    S3_FORCE_PATH_STYLE: 'true',
  };
}
/** On s3 no directory is shared: one per process, which must never be created. */
const uploadDirOf = (name) => path.join(tmp, onS3 ? `uploads-${name}` : 'uploads');

/**
 * A private redis-server that demands a password, like compose's. The password holds characters
 * that must be percent-encoded in a URL, so the app is shown to decode REDIS_URL's userinfo.
 * Returns the URL the app gets; asserts that a client without the password is refused.
 */
async function startRedis(port) {
  const password = `topo:${randomBytes(12).toString('base64url')}/@#`;
  procs.start('redis', 'redis-server', [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--requirepass',
    password,
    '--save',
    '',
    '--appendonly',
    'no',
    '--dir',
    tmp,
  ]);
  const url = `redis://:${encodeURIComponent(password)}@127.0.0.1:${port}`;
  await waitFor(
    'redis-server',
    async () => {
      const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      probe.on('error', () => {}); // not listening yet: waitFor retries
      try {
        await probe.connect();
        return (await probe.ping()) === 'PONG';
      } finally {
        probe.disconnect();
      }
    },
    10_000,
  );
  // A bare PING on a raw socket: the server must answer with a NOAUTH error.
  const reply = await new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write('PING\r\n'));
    socket.once('data', (data) => {
      socket.destroy();
      resolve(data.toString('utf8').trim());
    });
    socket.once('error', reject);
  });
  if (!reply.startsWith('-NOAUTH'))
    throw new Error(`the private redis-server answered a client without the password: ${reply}`);
  return { url, password };
}

async function main() {
  for (const file of ['dist/server.js', 'dist/seed.js']) {
    if (!existsSync(path.join(projectDir, file)))
      throw new Error(`${file} is missing: run \`npm run build && npm run build:seed\` first`);
  }
  const hasWorker = existsSync(path.join(projectDir, 'dist/worker.js'));
  const [apiPortA, apiPortB, httpPort, httpsPort, redisPort, s3Port] = await Promise.all([
    freePort(),
    freePort(),
    freePort(),
    freePort(),
    freePort(),
    freePort(),
  ]);
  const adminPassword = randomBytes(12).toString('base64url');
  const redis = await startRedis(redisPort);
  log(
    `ok   redis-server (pid ${procs.get('redis').child.pid}) on ${redisPort} with a password; a client without it gets NOAUTH`,
  );
  const env = {
    ...nativeAppEnv({
      publicUrl: `http://127.0.0.1:${httpPort}`,
      databaseUrl: database.url,
      redisUrl: redis.url,
      redisPrefix,
      admin: { email: 'admin@topology.test', password: adminPassword },
      metricsPassword: randomBytes(16).toString('base64url'),
      uploadDir: path.join(tmp, 'uploads'),
    }),
    // nginx reaches the api from 127.0.0.1: the only proxy trusted, as nginx's address in compose.
    TRUST_PROXY: '127.0.0.1',
    LOG_LEVEL: 'info',
    // The load of the SIGTERM step comes from one address; the limits are not under test here.
    RATE_LIMIT_MAX: '1000000',
    LOGIN_RATE_LIMIT_MAX: '1000',
    // As in compose: a signalled api answers new requests 503 (nginx retries them) for 2 s first.
    DRAIN_DELAY: '2s',
    ...(onS3 ? await startS3(s3Port) : {}),
  };
  if (onS3) log(`ok   storage: STORAGE_DRIVER=s3, bucket on s3rver ${env.S3_ENDPOINT}, no shared directory`);

  log(
    `topology run ${runId}: redis on ${redisPort}, api on ${apiPortA} and ${apiPortB}, nginx on ${httpPort} (http) and ${httpsPort} (https), logs in ${tmp}`,
  );
  await database.create();

  // migrate: exactly what the compose `migrate` service runs.
  await procs.run('migrate', 'sh', ['scripts/docker-migrate.sh'], { cwd: projectDir, env });
  log('ok   migrate: migrations applied and admin seeded (scripts/docker-migrate.sh)');

  const apis = { a: apiPortA, b: apiPortB };
  for (const [name, port] of Object.entries(apis)) {
    procs.start(`api-${name}`, process.execPath, ['dist/server.js'], {
      cwd: projectDir,
      env: { ...env, PORT: String(port), UPLOAD_DIR: uploadDirOf(`api-${name}`) },
    });
  }
  if (hasWorker)
    procs.start('worker', process.execPath, ['dist/worker.js'], {
      cwd: projectDir,
      env: { ...env, UPLOAD_DIR: uploadDirOf('worker') },
    });
  for (const [name, port] of Object.entries(apis)) {
    await waitFor(`api-${name} ready`, async () => {
      const exit = procs.get(`api-${name}`).exitInfo;
      if (exit) throw new Error(`api-${name} exited: ${procs.get(`api-${name}`).lines.slice(-10).join('\n')}`);
      return (await fetch(`http://127.0.0.1:${port}/health/ready`)).ok;
    });
  }

  const prefix = path.join(tmp, 'nginx');
  const config = writeNginxConfig({ projectDir, prefix, httpPort, httpsPort, upstreams: Object.values(apis) });
  await procs.run(
    'make-cert',
    'sh',
    [path.join(projectDir, 'nginx/scripts/make-self-signed-cert.sh'), path.join(prefix, 'certs'), 'localhost'],
    { env },
  );
  const nginxGlobals = `daemon off; pid ${path.join(prefix, 'nginx.pid')};${process.getuid?.() === 0 ? ' user root;' : ''}`;
  await procs.run('nginx-test', 'nginx', ['-t', '-q', '-p', prefix, '-c', config, '-g', nginxGlobals], {
    env,
    outputToFile: true,
  });
  procs.start('nginx', 'nginx', ['-p', prefix, '-c', config, '-g', nginxGlobals], { env, outputToFile: true });
  await waitFor('nginx', async () => (await fetch(`http://127.0.0.1:${httpPort}/nginx-health`)).ok, 10_000);
  log(
    `ok   started: api-a (pid ${procs.get('api-a').child.pid}), api-b (pid ${procs.get('api-b').child.pid}), ` +
      `${hasWorker ? `worker (pid ${procs.get('worker').child.pid}), ` : 'no worker (dist/worker.js absent), '}nginx (pid ${procs.get('nginx').child.pid})`,
  );

  const results = await topologyChecks({
    procs,
    http: `http://127.0.0.1:${httpPort}`,
    https: `https://localhost:${httpsPort}`,
    ws: `ws://127.0.0.1:${httpPort}`,
    caCert: readFileSync(path.join(prefix, 'certs', 'tls.crt')),
    admin: { email: env.ADMIN_EMAIL, password: adminPassword },
    instances: ['api-a', 'api-b'],
    hasWorker,
    secrets: { redisPassword: redis.password },
    log,
  });
  if (onS3) {
    const created = ['api-a', 'api-b', 'worker'].filter((name) => existsSync(uploadDirOf(name)));
    results.push({ ok: created.length === 0, name: 'no upload directory created on s3' });
    log(
      `${created.length === 0 ? 'ok  ' : 'FAIL'} storage: no process created an upload directory ${created.join(', ')}`,
    );
  }
  return results;
}

// A crash or Ctrl-C must not leave api, worker or nginx processes behind.
let cleanedUp;
const cleanup = async () => {
  cleanedUp ??= (async () => {
    // Redis last: the api and the worker close their connections to it while they drain.
    await procs.stopAll({ except: ['redis'] });
    await procs.stop('redis').catch(() => undefined);
    await s3rver?.close().catch(() => undefined);
    const leftovers = [...procs.procs.entries()].filter(([, p]) => !p.exitInfo).map(([name]) => name);
    if (leftovers.length > 0) log(`FAIL processes still running: ${leftovers.join(', ')}`);
    await database.drop().catch((err) => log(`warn: dropping ${database.name}: ${err.message}`));
  })();
  return cleanedUp;
};
for (const event of ['uncaughtException', 'unhandledRejection']) {
  process.on(event, (err) => {
    log(`FAIL ${event}: ${err instanceof Error ? err.stack : String(err)}`);
    void cleanup().finally(() => process.exit(1));
  });
}
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => void cleanup().finally(() => process.exit(130)));

let failed = true;
try {
  const results = await main();
  failed = results.some((r) => !r.ok);
  const passed = results.filter((r) => r.ok).length;
  log(`\ntopology: ${passed} passed, ${results.length - passed} failed`);
} catch (err) {
  log(`FAIL ${err instanceof Error ? err.stack : String(err)}`);
} finally {
  await cleanup();
  if (failed || keepTemp) log(`logs kept in ${tmp}`);
  else rmSync(tmp, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
