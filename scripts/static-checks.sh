#!/usr/bin/env bash
# `npm run check:deploy`: static checks of the deployment files, no Docker engine needed.
#   compose     docker-compose config -q (v1.29, Debian's) and `docker compose` v2 when present,
#               plus the promises of the file (only nginx publishes ports, api scalable), and
#               the services' environment passing the app's production config validation
#   dockerfile  dockerfile-utils' validator and the image rules (scripts/lint-dockerfile.mjs)
#   nginx       `nginx -t` on the real nginx/ configuration, compose service names mapped to
#               127.0.0.1 in a private hosts file (unshare -m + bind mount) for this check only
#   k8s         deploy/k8s validated against the Kubernetes schemas, offline (scripts/check-k8s.mjs)
#   scripts     sh -n on the shell scripts the images run
set -euo pipefail
cd "$(dirname "$0")/.."

ok() { printf 'ok   %s\n' "$*"; }
fail() { printf 'FAIL %s\n' "$*" >&2; exit 1; }
need() { command -v "$1" >/dev/null 2>&1 || fail "$1 is not installed (apt-get install $2)"; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# --- compose -------------------------------------------------------------------------------
need docker-compose docker-compose
docker-compose -f docker-compose.yml config -q || fail "docker-compose config"
if docker compose version >/dev/null 2>&1; then
  docker compose -f docker-compose.yml config -q || fail "docker compose (v2) config"
  ok "compose: docker-compose.yml valid for docker-compose $(docker-compose version --short) and docker compose $(docker compose version --short)"
else
  ok "compose: docker-compose.yml valid for docker-compose $(docker-compose version --short) (docker compose v2 not installed here)"
fi
docker-compose -f docker-compose.yml config > "$tmp/compose.yml"
node --input-type=module - "$tmp/compose.yml" <<'NODE' || fail "compose rules"
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
const { services } = parse(readFileSync(process.argv[2], 'utf8'));
const problems = [];
for (const [name, service] of Object.entries(services)) {
  if (service.ports && name !== 'nginx') problems.push(`${name} publishes ports: only nginx may`);
}
for (const name of ['api', 'worker']) {
  if (services[name].container_name) problems.push(`${name} has a container_name: it could not be scaled`);
  if (services[name].depends_on?.migrate?.condition !== 'service_completed_successfully') problems.push(`${name} does not wait for migrate`);
  for (const dep of ['postgres', 'redis']) if (services[name].depends_on?.[dep]?.condition !== 'service_healthy') problems.push(`${name} does not wait for a healthy ${dep}`);
}
for (const name of ['postgres', 'redis', 'nginx']) if (!services[name].healthcheck?.test) problems.push(`${name} has no healthcheck`);
const redis = services.redis.command.join(' ');
if (!/--appendonly yes/.test(redis) || !/--maxmemory-policy noeviction/.test(redis)) problems.push('redis needs appendonly yes and maxmemory-policy noeviction (BullMQ)');
const env = services.api.environment;
if (env.NODE_ENV !== 'production' || !env.TRUST_PROXY) problems.push('api must run in production mode and trust only nginx');
if (problems.length) { console.error(problems.join('\n')); process.exit(1); }
NODE
ok "compose: only nginx publishes ports; api/worker wait for migrate and healthy postgres/redis; redis appendonly+noeviction"
node --import tsx scripts/check-compose-env.ts "$tmp/compose.yml" | sed 's/^/ok   /' || fail "compose environment"

# --- Dockerfile ----------------------------------------------------------------------------
node scripts/lint-dockerfile.mjs Dockerfile | sed 's/^/ok   /'

# --- nginx ---------------------------------------------------------------------------------
need nginx nginx
need openssl openssl
cp -r nginx/nginx.conf nginx/conf.d nginx/snippets "$tmp/"
cp /etc/nginx/mime.types "$tmp/mime.types"
sh nginx/scripts/make-self-signed-cert.sh "$tmp/certs" localhost >/dev/null
{ cat /etc/hosts; echo "127.0.0.1 api worker migrate postgres redis mailpit nginx"; } > "$tmp/hosts"
nginx_test=(nginx -t -p "$tmp/" -c "$tmp/nginx.conf" -g "pid $tmp/nginx.pid;")
# nginx opens its log targets (/dev/stdout) during the test: give it a plain file as stdout.
if [ "$(id -u)" = 0 ] && unshare -m true 2>/dev/null; then
  unshare -m sh -c 'mount --bind "$1" /etc/hosts && shift && exec "$@"' sh "$tmp/hosts" "${nginx_test[@]}" >"$tmp/nginx-t.log" 2>&1 \
    || { cat "$tmp/nginx-t.log" >&2; fail "nginx -t"; }
  where="with compose service names mapped to 127.0.0.1"
else
  "${nginx_test[@]}" >"$tmp/nginx-t.log" 2>&1 || { cat "$tmp/nginx-t.log" >&2; fail "nginx -t"; }
  where="(not root: no private hosts file; the config resolves names at request time anyway)"
fi
ok "nginx: nginx -t on nginx/ ($(nginx -v 2>&1 | sed 's/.*\///')) $where"

# --- Kubernetes ----------------------------------------------------------------------------
node scripts/check-k8s.mjs | sed 's/^/ok   /'

# --- shell scripts -------------------------------------------------------------------------
for script in scripts/docker-migrate.sh nginx/scripts/make-self-signed-cert.sh scripts/compose-smoke.sh; do
  [ -f "$script" ] || continue
  sh -n "$script" 2>/dev/null || bash -n "$script" || fail "syntax: $script"
done
ok "scripts: shell syntax"
