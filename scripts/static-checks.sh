#!/usr/bin/env bash
# `npm run check:deploy`: checks of the deployment files, no Docker engine needed.
#   line endings  no CR in any file .gitattributes pins to LF; container scripts pinned and
#               executable (scripts/check-line-endings.mjs)
#   compose     docker-compose config -q (v1.29, Debian's: schema only) and `docker compose` v2
#               when present; the promises of the file on its Compose v2 resolution with the
#               defaults and with the variables people change (scripts/check-compose.mjs); the
#               services' environment passing the app's production config validation
#   dockerfile  dockerfile-utils' validator and the image rules (scripts/lint-dockerfile.mjs)
#   nginx       no deprecated `listen ... http2`; `nginx -t` on the real nginx/ configuration
#               (for a local nginx older than 1.25.1 with `http2 on;` spelled the old way,
#               scripts/lib/nginx-config.mjs), compose service names mapped to 127.0.0.1 in
#               a private hosts file (unshare -m + bind mount) for this check only; then nginx
#               runs on loopback and no secret sent in a query string reaches its logs
#               (scripts/check-nginx-logs.mjs)
#   k8s         deploy/k8s validated against the Kubernetes schemas, offline, plus the hardening
#               rules (scripts/check-k8s.mjs)
#   scripts     sh -n on the shell scripts the images run
#   observability  deploy/observability parses; the dashboard uses provisioned data sources and
#               exported metrics; `promtool check rules/config` where promtool is installed
#               (scripts/check-observability.mjs)
set -euo pipefail
cd "$(dirname "$0")/.."

ok() { printf 'ok   %s\n' "$*"; }
fail() { printf 'FAIL %s\n' "$*" >&2; exit 1; }
need() { command -v "$1" >/dev/null 2>&1 || fail "$1 is not installed (apt-get install $2)"; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# --- line endings --------------------------------------------------------------------------
node scripts/check-line-endings.mjs | sed 's/^/ok   /'

# --- compose -------------------------------------------------------------------------------
need docker-compose docker-compose
# docker-compose 1.x validates the schema; it cannot expand the nested defaults of PUBLIC_URL
# and CORS_ORIGINS, so its resolved output is not used (check-compose.mjs resolves like v2).
docker-compose -f docker-compose.yml config -q || fail "docker-compose config"
if docker compose version >/dev/null 2>&1; then
  docker compose -f docker-compose.yml config -q || fail "docker compose (v2) config"
  ok "compose: docker-compose.yml valid for docker-compose $(docker-compose version --short) and docker compose $(docker compose version --short)"
else
  ok "compose: docker-compose.yml schema valid for docker-compose $(docker-compose version --short) (docker compose v2 not installed here)"
fi
node scripts/check-compose.mjs "$tmp/compose.yml" | sed 's/^/ok   /'
node --import tsx scripts/check-compose-env.ts "$tmp/compose.yml" | sed 's/^/ok   /' || fail "compose environment"

# --- Dockerfile ----------------------------------------------------------------------------
node scripts/lint-dockerfile.mjs Dockerfile | sed 's/^/ok   /'

# --- nginx ---------------------------------------------------------------------------------
need nginx nginx
need openssl openssl
if grep -rnE '^\s*listen\s[^;#]*\bhttp2\b' nginx/; then fail "nginx: \`listen ... http2\` is deprecated since nginx 1.25.1: use \`http2 on;\`"; fi
grep -qE '^\s*http2 on;' nginx/conf.d/api.conf || fail "nginx: the TLS server must enable HTTP/2 with \`http2 on;\`"
adaptation=$(node scripts/lib/nginx-config.mjs --compose "$tmp/nginx")
sh nginx/scripts/make-self-signed-cert.sh "$tmp/nginx/certs" localhost >/dev/null
{ cat /etc/hosts; echo "127.0.0.1 api worker migrate postgres redis mailpit nginx"; } > "$tmp/hosts"
nginx_test=(nginx -t -p "$tmp/nginx/" -c "$tmp/nginx/nginx.conf" -g "pid $tmp/nginx/nginx.pid;")
# nginx opens its log targets (/dev/stdout) during the test: give it a plain file as stdout.
if [ "$(id -u)" = 0 ] && unshare -m true 2>/dev/null; then
  unshare -m sh -c 'mount --bind "$1" /etc/hosts && shift && exec "$@"' sh "$tmp/hosts" "${nginx_test[@]}" >"$tmp/nginx-t.log" 2>&1 \
    || { cat "$tmp/nginx-t.log" >&2; fail "nginx -t"; }
  where="with compose service names mapped to 127.0.0.1"
else
  "${nginx_test[@]}" >"$tmp/nginx-t.log" 2>&1 || { cat "$tmp/nginx-t.log" >&2; fail "nginx -t"; }
  where="(not root: no private hosts file; the config resolves names at request time anyway)"
fi
ok "nginx: nginx -t on nginx/ $where; $adaptation"
node scripts/check-nginx-logs.mjs | sed 's/^/ok   /'

# --- Kubernetes ----------------------------------------------------------------------------
node scripts/check-k8s.mjs | sed 's/^/ok   /'

# --- shell scripts -------------------------------------------------------------------------
for script in scripts/docker-migrate.sh nginx/scripts/make-self-signed-cert.sh tools/compose-smoke/*.sh; do
  [ -f "$script" ] || continue
  sh -n "$script" 2>/dev/null || bash -n "$script" || fail "syntax: $script"
done
ok "scripts: shell syntax"

# --- observability -------------------------------------------------------------------------
node scripts/check-observability.mjs | sed 's/^/ok   /' || fail "observability files"
