#!/usr/bin/env node
// Static check (scripts/static-checks.sh): the promises of docker-compose.yml, checked on the
// file as Compose v2 resolves it with the defaults and with the variables people change.
//   node scripts/check-compose.mjs [write the default resolution to this file]
// - ports: only nginx (and Mailpit's UI) publish, on 127.0.0.1 unless BIND_ADDRESS is set;
//   Mailpit stays on 127.0.0.1 even then
// - images: one build per image tag (buildx bake exports concurrently: two services building
//   one tag fail with `image "...": already exists`); migrate has its own target and tag;
//   every registry image pinned to an exact version
// - start order: api/worker wait for migrate and healthy postgres/redis; postgres is checked
//   over TCP (its init server listens on the socket only); redis answers PONG with a password
// - Redis: requirepass, appendonly, noeviction, and the app's REDIS_URL carries that password
// - PUBLIC_URL and CORS_ORIGINS follow HTTP_PORT/HTTPS_PORT unless set
// - no fixed subnet or address (they clash with VPNs and other projects: "Pool overlaps")
// - hardening: our containers read-only, no capabilities, no-new-privileges; every service
//   no-new-privileges
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { interpolate, resolveCompose } from './compose-resolve.mjs';
import { isPinnedImage } from './image-pins.mjs';

const file = 'docker-compose.yml';
const problems = [];
const fail = (scenario, message) => problems.push(`[${scenario}] ${message}`);

// The interpolation the fallback resolver implements, pinned on the forms this file uses.
const cases = [
  ['${A:-x}', {}, 'x'],
  ['${A:-x}', { A: '' }, 'x'],
  ['${A-x}', { A: '' }, ''],
  ['${A:-${B:-b}c}', {}, 'bc'],
  ['${A:-${B:-b}c}', { B: '1' }, '1c'],
  ['${A:-${B:-b}c}', { A: 'a' }, 'a'],
  ['$$A', {}, '$A'],
  ['$A-$B', { A: 'a', B: 'b' }, 'a-b'],
  ['${A:+set}', { A: 'x' }, 'set'],
  ['${A:+set}', {}, ''],
];
for (const [text, env, expected] of cases) {
  const got = interpolate(text, env);
  if (got !== expected)
    fail(
      'interpolation',
      `${text} with ${JSON.stringify(env)} gave ${JSON.stringify(got)}, expected ${JSON.stringify(expected)}`,
    );
}

// `docker compose` v2 when installed (the reference), else the compose-spec resolver.
const hasV2 = spawnSync('docker', ['compose', 'version'], { stdio: 'ignore' }).status === 0;
const emptyEnvDir = mkdtempSync(path.join(os.tmpdir(), 'compose-env-'));
const emptyEnvFile = path.join(emptyEnvDir, 'empty.env');
writeFileSync(emptyEnvFile, '');
function resolve(env) {
  if (!hasV2) return resolveCompose(file, env);
  const out = execFileSync(
    'docker',
    ['compose', '--env-file', emptyEnvFile, '-f', file, 'config', '--format', 'json'],
    {
      encoding: 'utf8',
      env: { PATH: process.env.PATH, HOME: process.env.HOME, DOCKER_HOST: process.env.DOCKER_HOST, ...env },
    },
  );
  return JSON.parse(out);
}

/** Published ports as { hostIp, published, target } whichever syntax the file or v2 uses. */
function ports(service) {
  return (service.ports ?? []).map((port) => {
    if (typeof port === 'object')
      return { hostIp: port.host_ip ?? '', published: String(port.published ?? ''), target: String(port.target) };
    const parts = String(port).split(':');
    const target = parts.pop();
    const published = parts.pop() ?? '';
    return { hostIp: parts.join(':'), published, target };
  });
}
const env = (service) => {
  const e = service.environment ?? {};
  return Array.isArray(e) ? Object.fromEntries(e.map((kv) => [kv.split('=')[0], kv.slice(kv.indexOf('=') + 1)])) : e;
};
const command = (service) => [service.command ?? []].flat().join(' ');
const appServices = ['migrate', 'api', 'worker'];

function checkDefaults(s, scenario) {
  const { services, networks = {} } = s;
  for (const [name, service] of Object.entries(services)) {
    // Mailpit's, Grafana's and Prometheus' UIs (the last two: observability profile) on 127.0.0.1.
    if (service.ports?.length && !['nginx', 'mailpit', 'grafana', 'prometheus'].includes(name))
      fail(scenario, `${name} publishes ports: only nginx (and the Mailpit, Grafana and Prometheus UIs) may`);
    for (const p of ports(service))
      if (p.hostIp !== '127.0.0.1')
        fail(
          scenario,
          `${name} publishes ${p.published}:${p.target} on "${p.hostIp || 'every interface'}", expected 127.0.0.1 by default`,
        );
    if (!(service.security_opt ?? []).some((o) => /^no-new-privileges(:true)?$/.test(o)))
      fail(scenario, `${name} lacks security_opt no-new-privileges:true`);
    if (service.networks && typeof service.networks === 'object') {
      for (const [net, cfg] of Object.entries(service.networks))
        if (cfg?.ipv4_address) fail(scenario, `${name} has a fixed address on ${net} (${cfg.ipv4_address})`);
    }
  }
  for (const [name, net] of Object.entries(networks))
    if (net?.ipam?.config?.some((c) => c.subnet))
      fail(scenario, `network ${name} has a fixed subnet: it fails with "Pool overlaps" next to VPNs`);

  // One build per image tag; the worker uses the api's image; migrate its own target and tag.
  const builders = new Map();
  for (const [name, service] of Object.entries(services)) {
    if (!service.build) continue;
    if (builders.has(service.image))
      fail(
        scenario,
        `${name} and ${builders.get(service.image)} both build ${service.image}: buildx bake exports it twice (image already exists)`,
      );
    builders.set(service.image, name);
  }
  if (services.api.build?.target !== 'runtime') fail(scenario, 'api must build the Dockerfile target runtime');
  if (services.migrate.build?.target !== 'migrate')
    fail(scenario, 'migrate must build its own Dockerfile target migrate');
  if (services.migrate.image === services.api.image) fail(scenario, 'migrate and api must not share an image tag');
  if (services.worker.build || services.worker.image !== services.api.image)
    fail(scenario, 'worker must use the image the api builds, without a build of its own');
  for (const [name, service] of Object.entries(services)) {
    if (service.build || builders.has(service.image)) continue;
    if (!isPinnedImage(service.image))
      fail(scenario, `${name}: image ${service.image} is not pinned to an exact version or digest`);
  }

  for (const name of ['api', 'worker']) {
    if (services[name].container_name) fail(scenario, `${name} has a container_name: it could not be scaled`);
    if (services[name].depends_on?.migrate?.condition !== 'service_completed_successfully')
      fail(scenario, `${name} does not wait for migrate`);
    for (const dep of ['postgres', 'redis'])
      if (services[name].depends_on?.[dep]?.condition !== 'service_healthy')
        fail(scenario, `${name} does not wait for a healthy ${dep}`);
  }
  for (const name of ['postgres', 'redis', 'nginx'])
    if (!services[name].healthcheck?.test) fail(scenario, `${name} has no healthcheck`);
  const pgCheck = [services.postgres.healthcheck?.test ?? []].flat().join(' ');
  if (!/pg_isready\b.*-h\s+(127\.0\.0\.1|localhost)/.test(pgCheck))
    fail(scenario, `postgres healthcheck must use TCP (pg_isready -h 127.0.0.1): ${pgCheck}`);
  const redisCheck = [services.redis.healthcheck?.test ?? []].flat().join(' ');
  if (!/PONG/.test(redisCheck))
    fail(scenario, `redis healthcheck must look for PONG (redis-cli exits 0 on NOAUTH): ${redisCheck}`);

  for (const name of appServices) {
    const service = services[name];
    if (service.read_only !== true) fail(scenario, `${name} must run with read_only: true`);
    if (!(service.cap_drop ?? []).includes('ALL')) fail(scenario, `${name} must drop ALL capabilities`);
    if ((service.cap_add ?? []).length) fail(scenario, `${name} adds capabilities: ${service.cap_add}`);
    const e = env(service);
    if (e.NODE_ENV !== 'production' || !e.TRUST_PROXY)
      fail(scenario, `${name} must run in production mode with TRUST_PROXY set`);
  }
}

/** requirepass of the redis command, and every app's REDIS_URL password must equal it. */
function checkRedis(s, scenario, expectedPassword) {
  const { services } = s;
  const cmd = command(services.redis);
  if (!/--appendonly yes/.test(cmd) || !/--maxmemory-policy noeviction/.test(cmd))
    fail(scenario, 'redis needs appendonly yes and maxmemory-policy noeviction (BullMQ)');
  const requirepass = /--requirepass (\S+)/.exec(cmd)?.[1];
  if (!requirepass) return fail(scenario, 'redis runs without --requirepass');
  if (expectedPassword && requirepass !== expectedPassword) fail(scenario, `redis --requirepass is not REDIS_PASSWORD`);
  if (env(services.redis).REDISCLI_AUTH !== requirepass)
    fail(scenario, 'REDISCLI_AUTH (the health check) differs from --requirepass');
  for (const name of appServices) {
    const url = new URL(env(services[name]).REDIS_URL);
    if (decodeURIComponent(url.password) !== requirepass)
      fail(scenario, `${name}: REDIS_URL does not carry the Redis password`);
  }
}

function checkPublicUrl(s, scenario, publicUrl, origins) {
  for (const name of appServices) {
    const e = env(s.services[name]);
    if (e.PUBLIC_URL !== publicUrl) fail(scenario, `${name}: PUBLIC_URL is ${e.PUBLIC_URL}, expected ${publicUrl}`);
    for (const origin of origins)
      if (!String(e.CORS_ORIGINS).split(',').includes(origin))
        fail(scenario, `${name}: CORS_ORIGINS ${e.CORS_ORIGINS} lacks ${origin}`);
  }
}

const defaults = resolve({});
checkDefaults(defaults, 'defaults');
checkRedis(defaults, 'defaults');
checkPublicUrl(defaults, 'defaults', 'http://localhost:8080', ['http://localhost:8080', 'https://localhost:8443']);

const movedPorts = resolve({ HTTP_PORT: '9090', HTTPS_PORT: '9443' });
checkPublicUrl(movedPorts, 'HTTP_PORT=9090', 'http://localhost:9090', [
  'http://localhost:9090',
  'https://localhost:9443',
]);
const nginxPorts = ports(movedPorts.services.nginx)
  .map((p) => `${p.published}:${p.target}`)
  .sort();
if (nginxPorts.join() !== '9090:80,9443:443') fail('HTTP_PORT=9090', `nginx publishes ${nginxPorts}`);

const explicit = resolve({
  PUBLIC_URL: 'https://api.example.com',
  CORS_ORIGINS: 'https://app.example.com',
  HTTP_PORT: '9090',
  REDIS_PASSWORD: 'a1b2c3d4e5f6',
});
checkPublicUrl(explicit, 'PUBLIC_URL set', 'https://api.example.com', ['https://app.example.com']);
checkRedis(explicit, 'REDIS_PASSWORD set', 'a1b2c3d4e5f6');

const lan = resolve({ BIND_ADDRESS: '0.0.0.0' });
for (const p of ports(lan.services.nginx))
  if (p.hostIp !== '0.0.0.0')
    fail('BIND_ADDRESS=0.0.0.0', `nginx publishes ${p.published} on "${p.hostIp}", expected 0.0.0.0`);
for (const p of ports(lan.services.mailpit))
  if (p.hostIp !== '127.0.0.1')
    fail('BIND_ADDRESS=0.0.0.0', `Mailpit publishes ${p.published} on "${p.hostIp}": it must stay on 127.0.0.1`);

rmSync(emptyEnvDir, { recursive: true, force: true });
if (problems.length > 0) {
  for (const problem of problems) console.error(`compose: ${problem}`);
  process.exit(1);
}
if (process.argv[2]) writeFileSync(process.argv[2], stringify(defaults));
console.log(
  `compose: rules hold with the defaults, HTTP_PORT=9090, PUBLIC_URL/REDIS_PASSWORD set and BIND_ADDRESS=0.0.0.0 (resolved by ${hasV2 ? 'docker compose v2' : 'the compose-spec resolver, no docker compose v2 here'}): ` +
    'ports on 127.0.0.1 (Mailpit always), one build per tag (migrate its own), images pinned, postgres checked over TCP, Redis password in REDIS_URL, PUBLIC_URL/CORS follow the ports, no fixed subnet, our containers read-only without capabilities',
);
