#!/usr/bin/env bash
# Full `docker-compose up --build` of docker-compose.yml on THIS machine, where no registry is
# reachable: a private Docker engine (vfs storage, its own data root and socket), stand-in images
# for postgres, redis, nginx, mailpit and node built from a debootstrapped Debian and tagged with
# the names the compose file uses (this folder), then the stack is built and started
# with the api scaled to 2, checked through nginx, and torn down. Not part of CI: it needs root,
# several GB of disk and minutes.
# Teardown: `down -v` with a long engine timeout (docker-compose's default 60 s read timeout is
# too short for a vfs engine, and the old script hid the failure), then whatever the project
# still has (containers, volumes, networks) is force-removed and counted: the run FAILS if
# anything is left. dockerd is stopped by pid, its netns mounts unmounted, and the host's
# network put back as it was (host-network.sh: docker0/br-* bridges,
# DOCKER iptables chains and rules, FORWARD policy, ip_forward). The engine's data root is
# deleted unless KEEP=1.
#   sudo tools/compose-smoke/run.sh          (SMOKE_DIR=/var/tmp/compose-smoke by default)
# docker-compose 1.29 (Debian's) runs the stack here: it cannot expand the nested defaults of
# PUBLIC_URL/CORS_ORIGINS, so the smoke override sets them; the stand-in nginx is Debian's 1.22,
# which gets `http2 on;` spelled the old way (scripts/lib/nginx-config.mjs), nothing else.
set -euo pipefail
cd "$(dirname "$0")/../.."
repo=$(pwd)
work=${SMOKE_DIR:-/var/tmp/compose-smoke}
http_port=${SMOKE_HTTP_PORT:-18080}
https_port=${SMOKE_HTTPS_PORT:-18443}
mailpit_port=${SMOKE_MAILPIT_PORT:-18025}
project=composesmoke
mkdir -p "$work"
started=$(date +%s)
step() { printf '\n=== [%4ss] %s\n' "$(( $(date +%s) - started ))" "$*"; }
# docker-compose 1.x talks to the engine with a 60 s read timeout by default; removing the
# stack's containers and volumes on a vfs engine takes longer than that.
export COMPOSE_HTTP_TIMEOUT=${COMPOSE_HTTP_TIMEOUT:-600}

# --- tools -----------------------------------------------------------------------------------
step "tools"
missing=()
for tool in dockerd:docker.io docker-compose:docker-compose debootstrap:debootstrap; do
  command -v "${tool%%:*}" >/dev/null 2>&1 || missing+=("${tool#*:}")
done
if [ ${#missing[@]} -gt 0 ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
docker-compose version --short
# The stand-in node image is the host's node: it must be the version the Dockerfile's tag names.
node_image=$(sed -n 's/^ARG NODE_IMAGE=//p' Dockerfile)
node_tag_version=$(printf '%s' "$node_image" | sed -n 's/^node:\([0-9][0-9.]*\).*/\1/p')
if [ "$(node -v)" != "v$node_tag_version" ]; then
  echo "the stand-in for $node_image would be this host's node $(node -v): put Node $node_tag_version first on PATH" >&2
  exit 1
fi

# --- a private engine --------------------------------------------------------------------------
step "dockerd (vfs, data root $work/docker)"
export DOCKER_HOST="unix://$work/docker.sock"
# The classic builder: no BuildKit/buildx component here, and docker-compose 1.29 uses it anyway.
export DOCKER_BUILDKIT=0 COMPOSE_DOCKER_CLI_BUILD=0
host_state="$work/host-network"
rm -rf "$host_state"
bash tools/compose-smoke/host-network.sh save "$host_state"
dockerd --storage-driver=vfs --data-root="$work/docker" --exec-root="$work/exec" \
  --host="$DOCKER_HOST" --pidfile="$work/dockerd.pid" >"$work/dockerd.log" 2>&1 &
dockerd_pid=$!
compose=(docker-compose -p "$project" -f docker-compose.yml -f "$work/docker-compose.smoke.yml")
project_filter=(--filter "label=com.docker.compose.project=$project")
left_over() {
  printf '%s containers, %s volumes, %s networks' "$(docker ps -aq "${project_filter[@]}" | wc -l)" \
    "$(docker volume ls -q "${project_filter[@]}" | wc -l)" "$(docker network ls -q "${project_filter[@]}" | wc -l)"
}
cleanup() {
  status=$?
  step "teardown"
  if [ -S "$work/docker.sock" ] && docker info >/dev/null 2>&1; then
    if ! "${compose[@]}" down -v --remove-orphans --timeout 20 >"$work/down.log" 2>&1; then
      echo "docker-compose down failed (COMPOSE_HTTP_TIMEOUT=$COMPOSE_HTTP_TIMEOUT):"; tail -5 "$work/down.log" | sed 's/^/  /'
    fi
    echo "after down: $(left_over)"
    # Whatever down left (a timeout, containers in state Dead): remove it by id, a few tries.
    for _ in 1 2 3; do
      ids=$(docker ps -aq "${project_filter[@]}")
      [ -n "$ids" ] && docker rm -f -v $ids >/dev/null 2>&1
      vols=$(docker volume ls -q "${project_filter[@]}")
      [ -n "$vols" ] && docker volume rm -f $vols >/dev/null 2>&1
      nets=$(docker network ls -q "${project_filter[@]}")
      [ -n "$nets" ] && docker network rm $nets >/dev/null 2>&1
      [ -z "$(docker ps -aq "${project_filter[@]}")$(docker volume ls -q "${project_filter[@]}")$(docker network ls -q "${project_filter[@]}")" ] && break
      sleep 2
    done
    remaining=$(left_over)
    echo "left in the engine: $remaining"
    case $remaining in "0 containers, 0 volumes, 0 networks") ;; *) status=1 ;; esac
  fi
  kill -TERM "$dockerd_pid" 2>/dev/null || true
  for _ in $(seq 1 60); do kill -0 "$dockerd_pid" 2>/dev/null || break; sleep 1; done
  if kill -0 "$dockerd_pid" 2>/dev/null; then echo "dockerd (pid $dockerd_pid) ignored SIGTERM for 60 s: SIGKILL"; kill -KILL "$dockerd_pid" 2>/dev/null || true; fi
  for mount in "$work/exec/netns/"*; do [ -e "$mount" ] && umount "$mount" 2>/dev/null; done
  bash tools/compose-smoke/host-network.sh restore "$host_state" | sed 's/^/  /'
  if ! bash tools/compose-smoke/host-network.sh diff "$host_state" >"$work/host-diff.log"; then
    echo "host network still differs from before the run:"; sed 's/^/  /' "$work/host-diff.log"; status=1
  else
    echo "host network as before the run (links, iptables filter/nat, ip_forward)"
  fi
  if [ "${KEEP:-0}" != 1 ]; then rm -rf "$work/docker" "$work/exec"; fi
  echo "compose smoke: $([ $status = 0 ] && echo PASSED || echo FAILED) in $(( $(date +%s) - started ))s (disk used under $work: $(du -sh "$work" 2>/dev/null | cut -f1))"
  exit "$status"
}
trap cleanup EXIT
for _ in $(seq 1 60); do docker info >/dev/null 2>&1 && break; sleep 1; done
docker info --format 'engine {{.ServerVersion}}, storage {{.Driver}}'

# --- stand-in base image -----------------------------------------------------------------------
step "base image: debootstrap bookworm + postgresql, redis, nginx, the host's node"
rootfs="$work/rootfs"
if [ ! -f "$work/rootfs.done" ]; then
  rm -rf "$rootfs"
  debootstrap --variant=minbase \
    --include=ca-certificates,openssl,curl,libstdc++6,postgresql-15,postgresql-client-15,redis-server,nginx-light,procps,util-linux \
    bookworm "$rootfs" http://deb.debian.org/debian >"$work/debootstrap.log" 2>&1
  touch "$work/rootfs.done"
fi
# The host's node and npm, as /usr/local in the official node image; user node = uid 1000.
install -m 755 "$(readlink -f "$(command -v node)")" "$rootfs/usr/local/bin/node"
mkdir -p "$rootfs/usr/local/lib/node_modules"
rm -rf "$rootfs/usr/local/lib/node_modules/npm"
cp -a "$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")" "$rootfs/usr/local/lib/node_modules/npm"
ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$rootfs/usr/local/bin/npm"
ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$rootfs/usr/local/bin/npx"
chroot "$rootfs" sh -c 'id node >/dev/null 2>&1 || useradd --uid 1000 --create-home --shell /bin/sh node'
rm -rf "$rootfs/var/lib/apt/lists/"* "$rootfs/var/cache/apt/"*.bin
# This host reaches the npm registry through a TLS proxy whose CA only the host's bundle holds:
# give the images the same bundle, and node/npm (which use their own CA list) the same file.
cp /etc/ssl/certs/ca-certificates.crt "$rootfs/etc/ssl/certs/ca-certificates.crt"
mkdir -p "$rootfs/usr/local/etc"
echo "cafile=/etc/ssl/certs/ca-certificates.crt" > "$rootfs/usr/local/etc/npmrc"
echo "root filesystem: $(du -sh "$rootfs" | cut -f1)"

# --- stand-ins, tagged with the names docker-compose.yml uses -------------------------------------
# Each is the same root filesystem imported with the official image's entrypoint, command and
# environment (docker import --change): no build layers, which the vfs driver would copy whole.
# The names (exact versions) come from the Dockerfile and docker-compose.yml.
step "stand-in images"
image_of() { node --input-type=module -e "import { resolveCompose } from './scripts/compose-resolve.mjs'; process.stdout.write(resolveCompose('docker-compose.yml').services['$1'].image)"; }
postgres_image=$(image_of postgres); redis_image=$(image_of redis); nginx_image=$(image_of nginx); mailpit_image=$(image_of mailpit)
minio_image=$(image_of minio); mc_image=$(image_of bucket)
standin_dir=tools/compose-smoke
install -m 755 "$standin_dir/postgres-entrypoint.sh" "$rootfs/usr/local/bin/postgres-entrypoint.sh"
install -m 755 "$standin_dir/redis-entrypoint.sh" "$rootfs/usr/local/bin/redis-entrypoint.sh"
install -m 755 "$standin_dir/nginx-entrypoint.sh" "$rootfs/docker-entrypoint.sh"
install -m 644 "$standin_dir/mail-sink.mjs" "$rootfs/mail-sink.mjs"
# MinIO and mc: s3rver (from the npm registry, which the host reaches) and a two-command mc.
[ -d "$rootfs/opt/s3rver/node_modules/s3rver" ] || npm install --prefix "$rootfs/opt/s3rver" --no-audit --no-fund --loglevel=warn s3rver@3.7.1
install -m 644 "$standin_dir/minio-standin.mjs" "$rootfs/minio-standin.mjs"
install -m 755 "$standin_dir/mc-standin.mjs" "$rootfs/usr/local/bin/mc"
mkdir -p "$rootfs/var/lib/postgresql/data" "$rootfs/var/run/postgresql" "$rootfs/data" "$rootfs/docker-entrypoint.d" "$rootfs/app"
chroot "$rootfs" sh -c 'chown -R postgres:postgres /var/lib/postgresql /var/run/postgresql && chown redis:redis /data && chown -R nobody /var/lib/nginx && rm -f /etc/nginx/sites-enabled/default'
standin() {
  local tag=$1; shift
  local changes=()
  for change in "$@"; do changes+=(--change "$change"); done
  tar -C "$rootfs" -c . | docker import "${changes[@]}" - "$tag" >/dev/null
  echo "imported $tag (stand-in)"
}
standin "$node_image" 'WORKDIR /app' 'ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt' 'CMD ["node"]'
standin "$postgres_image" 'ENV PATH=/usr/lib/postgresql/15/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' 'ENV PGDATA=/var/lib/postgresql/data' \
  'ENTRYPOINT ["/usr/local/bin/postgres-entrypoint.sh"]' 'CMD ["postgres"]' 'EXPOSE 5432'
standin "$redis_image" 'WORKDIR /data' 'ENTRYPOINT ["/usr/local/bin/redis-entrypoint.sh"]' 'CMD ["redis-server"]' 'EXPOSE 6379'
standin "$nginx_image" 'ENTRYPOINT ["/docker-entrypoint.sh"]' 'CMD ["nginx", "-g", "daemon off;"]' 'EXPOSE 80'
standin "$mailpit_image" 'USER nobody' 'CMD ["node", "/mail-sink.mjs"]' 'EXPOSE 1025'
standin "$minio_image" 'ENTRYPOINT ["node", "/minio-standin.mjs"]' 'CMD ["server", "/data"]' 'EXPOSE 9000'
standin "$mc_image" 'ENTRYPOINT ["mc"]'

# SMOKE_SRC: build and run from another checkout of the project (default: this one).
cd "${SMOKE_SRC:-$repo}"
# The changes to the compose file, all here: builds use the host's network (the npm registry is
# reachable from the host, the engine's bridge NAT is not set up here); PUBLIC_URL/CORS_ORIGINS
# spelled out (docker-compose 1.x cannot expand their nested defaults); nginx's conf.d adapted to
# Debian's nginx 1.22 in the stand-in (`http2 on;` -> `listen ... ssl http2`); free host ports.
node scripts/lib/nginx-config.mjs --compose "$work/nginx-compat" | sed 's/^/  /'
cat >"$work/docker-compose.smoke.yml" <<YAML
x-smoke-environment: &smoke-environment
  PUBLIC_URL: http://localhost:$http_port
  CORS_ORIGINS: http://localhost:$http_port,https://localhost:$https_port
services:
  migrate:
    build: { context: ., target: migrate, network: host }
    environment: *smoke-environment
  api:
    build: { context: ., target: runtime, network: host }
    environment: *smoke-environment
  worker:
    environment: *smoke-environment
  nginx:
    volumes:
      - $work/nginx-compat/conf.d:/etc/nginx/conf.d:ro
YAML
export HTTP_PORT=$http_port HTTPS_PORT=$https_port MAILPIT_PORT=$mailpit_port

# --- the stack -------------------------------------------------------------------------------------
step "docker-compose build"
"${compose[@]}" build >"$work/build.log" 2>&1 || { tail -40 "$work/build.log"; echo "build failed (full log: $work/build.log)"; exit 1; }
grep -E '^(Step [0-9]+/[0-9]+ : (FROM|RUN)|Successfully tagged)' "$work/build.log" | sed 's/^/  /'
# Sizes: the stand-in base is a whole Debian with PostgreSQL, Redis and nginx, far bigger than
# node:*-slim; what the Dockerfile adds on top of it is the number that carries over.
size() { docker image inspect -f '{{.Size}}' "$1"; }
base_size=$(size "$node_image")
for image in fastify-template-api:local fastify-template-migrate:local; do
  total=$(size "$image")
  printf '  %-34s %5d MB (%d MB on top of the base image)\n' "$image" $(( total / 1000000 )) $(( (total - base_size) / 1000000 ))
done
for image in fastify-template-api:local fastify-template-migrate:local; do
  printf '  %-34s node_modules %s, prisma CLI: %s\n' "$image" "$(docker run --rm --entrypoint du "$image" -sh /app/node_modules | cut -f1)" \
    "$(docker run --rm --entrypoint sh "$image" -c 'test -d node_modules/prisma && echo present || echo absent')"
done

step "docker-compose up -d --scale api=2"
"${compose[@]}" up -d --scale api=2 2>&1 | sed 's/^/  /'

step "wait for migrate to exit 0, api and nginx healthy"
for _ in $(seq 1 120); do
  migrate_id=$("${compose[@]}" ps -q migrate 2>/dev/null || true)
  [ -n "$migrate_id" ] && [ "$(docker inspect -f '{{.State.Status}}' "$migrate_id")" = exited ] && break
  sleep 2
done
echo "migrate exit code: $(docker inspect -f '{{.State.ExitCode}}' "$migrate_id")"
"${compose[@]}" logs --no-color migrate | tail -8 | sed 's/^/  /'
for _ in $(seq 1 90); do
  healthy=0
  for id in $("${compose[@]}" ps -q api) $("${compose[@]}" ps -q nginx); do
    [ "$(docker inspect -f '{{if .State.Health}}{{.State.Health.Status}}{{end}}' "$id")" = healthy ] && healthy=$((healthy + 1))
  done
  [ "$healthy" -ge 3 ] && break
  sleep 2
done
"${compose[@]}" ps | sed 's/^/  /'

step "through nginx on :$http_port and :$https_port"
base="http://127.0.0.1:$http_port"
check() { printf '  %-48s %s\n' "$1" "$2"; }
check "GET /health/ready" "$(curl -fsS "$base/health/ready")"
check "GET /api/v1/info" "$(curl -fsS "$base/api/v1/info")"
check "POST /api/v1/auth/register" "$(curl -sS -o /dev/null -w '%{http_code}' -X POST "$base/api/v1/auth/register" -H 'content-type: application/json' \
  -d "{\"email\":\"smoke-$started@example.com\",\"password\":\"smoke-password-123\",\"name\":\"Smoke\"}")"
token=$(curl -fsS -X POST "$base/api/v1/auth/token" -H 'content-type: application/json' \
  -d '{"username":"admin@example.com","password":"compose-local-only-admin-password"}' | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>process.stdout.write(JSON.parse(s).access_token))')
check "POST /api/v1/auth/token (seeded admin)" "access token of ${#token} characters"
item=$(curl -fsS -X POST "$base/api/v1/items" -H "authorization: Bearer $token" -H 'content-type: application/json' \
  -d '{"name":"compose smoke","price":1.5,"tax":0.1,"tags":["smoke"]}')
check "POST /api/v1/items" "$item"
check "GET /api/v1/items?limit=2" "$(curl -fsS "$base/api/v1/items?limit=2" | head -c 160)..."
check "GET /api/v1/items/export.csv (first line)" "$(curl -fsS "$base/api/v1/items/export.csv" | head -n 1)"
head -c 1048576 /dev/urandom > "$work/upload.bin"
file_json=$(curl -fsS -X POST "$base/api/v1/files" -H "authorization: Bearer $token" -F "file=@$work/upload.bin;type=application/octet-stream")
file_id=$(printf '%s' "$file_json" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>process.stdout.write(JSON.parse(s)[0].id))')
same=$(curl -fsS "$base/api/v1/files/$file_id/content" -H "authorization: Bearer $token" | cmp - "$work/upload.bin" && echo "identical")
check "1 MiB upload + download (MinIO bucket, no shared volume)" "$same"
check "GET https://localhost:$https_port/api/v1/info (-k)" "$(curl -ksS -o /dev/null -w '%{http_code} over %{scheme}, HSTS: ' "https://localhost:$https_port/api/v1/info")$(curl -ksSI "https://localhost:$https_port/api/v1/info" | grep -i strict-transport | tr -d '\r' | cut -d' ' -f2-)"
for i in $(seq 1 20); do curl -fsS -o /dev/null "$base/api/v1/info"; done
upstreams=$("${compose[@]}" logs --no-color nginx | grep -o '"upstream_addr":"[^"]*"' | sort | uniq -c | sed 's/^ */    /')
check "requests per api replica (nginx access log)" ""
printf '%s\n' "$upstreams"
[ "$(printf '%s\n' "$upstreams" | grep -c ':3000')" -ge 2 ] || { echo "  requests did not spread over the 2 replicas"; exit 1; }
sleep 3
check "mail sink on 127.0.0.1:$mailpit_port (not via nginx)" "$(curl -fsS "http://127.0.0.1:$mailpit_port/api/v1/messages" | head -c 120)"
check "GET /mailpit/ through nginx (not proxied)" "$(curl -sS -o /dev/null -w '%{http_code}' "$base/mailpit/")"

step "hardening"
published=$(for id in $("${compose[@]}" ps -q nginx) $("${compose[@]}" ps -q mailpit); do docker port "$id"; done | sort -u)
printf '%s\n' "$published" | sed 's/^/  /'
if printf '%s\n' "$published" | grep -v -- '-> 127\.0\.0\.1:'; then echo "  a port is published beyond 127.0.0.1"; exit 1; fi
redis_id=$("${compose[@]}" ps -q redis)
anonymous_ping=$(docker exec "$redis_id" env -u REDISCLI_AUTH redis-cli ping 2>&1 | tr -d '\r' | head -n 1)
check "redis without the password" "$anonymous_ping"
case $anonymous_ping in NOAUTH*) ;; *) echo "  redis answered a client without the password"; exit 1 ;; esac
api_id=$("${compose[@]}" ps -q api | head -n1)
check "api: write to the root filesystem" "$(docker exec "$api_id" sh -c 'touch /app/probe 2>&1 || true' | head -c 80)"
check "api: capabilities (CapEff)" "$(docker exec "$api_id" sh -c 'grep CapEff /proc/1/status' | tr -s '\t ' ' ')"
for service in api worker migrate postgres redis nginx mailpit; do
  for id in $("${compose[@]}" ps -q "$service"); do
    printf '  %-8s read_only=%-5s cap_drop=%-5s user=%s\n' "$service" "$(docker inspect -f '{{.HostConfig.ReadonlyRootfs}}' "$id")" \
      "$(docker inspect -f '{{.HostConfig.CapDrop}}' "$id")" "$(docker inspect -f '{{.Config.User}}' "$id")"
  done
done

step "api logs (last lines)"
"${compose[@]}" logs --no-color --tail=3 api worker | sed 's/^/  /'
