# Multi-stage build with three images:
#   runtime  (the default target) the api (default CMD) and the worker (`node dist/worker.js`):
#            node + production node_modules WITHOUT the Prisma CLI + dist + the web app (web/dist)
#   migrate  the one-shot migrate job (`prisma migrate deploy`, then the seed): the runtime's
#            files plus the Prisma CLI, its config, the migrations, the schema-engine shim
#            (tools/prisma-offline) and openssl
#   web      nginx with the built web app (web/dist) at /usr/share/nginx/html, for the proxy
#            (compose's nginx service serves its hashed assets itself)
#   docker build -t my-api .                  docker build --target migrate -t my-api-migrate .
# Stages: node-openssl (node + openssl), deps (npm ci + generated Prisma client), build (tsc,
# the web app, bundled seed, dev dependencies pruned), runtime-deps (the same minus the Prisma CLI).
#
# Pinned to an exact version: a rebuild gets the same Node. Bump it on purpose (and pin by
# digest too where your policy asks for it: node:<version>@sha256:...).
ARG NODE_IMAGE=node:24.22.3-bookworm-slim

# The official node -slim images ship no openssl. Prisma's CLI detects the libssl version to pick
# its native schema engine (at `npm ci`, where it downloads it, and when migrate runs it); without
# openssl it guesses openssl-1.1.x, fetches an engine that cannot load libssl3, and migrate fails
# (tools/prisma-offline/prisma.mjs then falls back to the wasm engine shim). The api and the
# worker never load a native Prisma engine (driver adapter + the client's wasm query compiler),
# so `runtime` does not need openssl.
FROM ${NODE_IMAGE} AS node-openssl
RUN apt-get update \
    && apt-get install -y --no-install-recommends openssl \
    && rm -rf /var/lib/apt/lists/*

FROM node-openssl AS deps
WORKDIR /app
# `npm ci` runs the postinstall `prisma generate`, which needs the schema, the CLI wrapper and
# the config file. prisma.config.ts reads DATABASE_URL; generate never connects, so a
# placeholder that exists only in this build step is enough.
COPY package.json package-lock.json prisma.config.ts ./
# The web app is an npm workspace: npm ci needs its package.json to install its dependencies.
COPY web/package.json ./web/
COPY prisma ./prisma
COPY tools/prisma-offline ./tools/prisma-offline
RUN DATABASE_URL=postgresql://build:build@localhost:5432/build \
    npm ci --no-audit --no-fund --loglevel=warn

FROM deps AS build
COPY tsconfig.json ./
COPY src ./src
COPY web ./web
# `npm run build`: tsc, then the web app (web/dist). The seed is TypeScript that imports src/;
# `build:seed` bundles it with esbuild (packages stay external imports) so the migrate image
# seeds with plain node, without tsx or the sources. The web app's packages (React...) are only
# needed to build it: dropping the workspace before pruning keeps them out of node_modules.
RUN npm run build \
    && npm run build:seed \
    && npm pkg delete workspaces \
    && rm -rf web/node_modules \
    && npm prune --omit=dev --no-audit --no-fund

# The api and the worker need @prisma/client and the pg adapter, not the CLI: dropping `prisma`
# (with its studio, dev server and engines) and the engine shim's wasm engine from the
# dependencies and pruning again halves node_modules (docs/deployment.md has the sizes).
FROM build AS runtime-deps
RUN npm pkg delete dependencies.prisma "dependencies.@prisma/schema-engine-wasm" \
    && npm prune --omit=dev --no-audit --no-fund \
    && rm -f dist/seed.js

FROM node-openssl AS migrate
# CHECKPOINT_DISABLE: no Prisma telemetry request and no cache file under $HOME (the job runs
# with a read-only root filesystem).
ENV NODE_ENV=production \
    CHECKPOINT_DISABLE=1 \
    PRISMA_HIDE_UPDATE_MESSAGE=1
WORKDIR /app
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# The Prisma CLI's config, the migrations and the offline schema-engine shim (used when the
# native engine could not be downloaded at build time, tools/prisma-offline/prisma.mjs).
COPY prisma.config.ts ./
COPY prisma ./prisma
COPY tools/prisma-offline ./tools/prisma-offline
COPY scripts/docker-migrate.sh ./scripts/
USER node
CMD ["sh", "scripts/docker-migrate.sh"]

# The proxy's image: the same build of the web app the api serves (nginx/snippets/api-locations.conf).
FROM nginx:1.30.4 AS web
COPY --from=build /app/web/dist /usr/share/nginx/html

FROM ${NODE_IMAGE} AS runtime
# MALLOC_ARENA_MAX=2: glibc gives each thread that allocates (V8's helpers, libuv's pool) its
# own malloc arena, whose freed pages stay resident; two arenas keep the api's native memory
# down at no measurable cost (tools/bench/results).
ENV NODE_ENV=production \
    PORT=3000 \
    UPLOAD_DIR=/app/uploads \
    MALLOC_ARENA_MAX=2
WORKDIR /app
COPY --from=runtime-deps /app/package.json ./package.json
COPY --from=runtime-deps /app/node_modules ./node_modules
COPY --from=runtime-deps /app/dist ./dist
# Served at / by the api (WEB_DIST_DIR, src/plugins/web-app.ts).
COPY --from=build /app/web/dist ./web/dist
# The image's own files stay root-owned (the app cannot rewrite its code); only the upload
# directory belongs to the unprivileged `node` user (uid 1000) the processes run as.
RUN mkdir -p /app/uploads && chown node:node /app/uploads
USER node
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
    CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/health/live').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# Exec form: node is the process that receives SIGTERM and drains (src/server.ts). Compose adds
# `init: true` (tini as PID 1) to reap any child process.
# Heap flags, for the api only (the worker sets its own command): V8 sizes its heap for the
# whole machine, not for a container, and grew the api to 250-300 MB RSS during a 100k-row
# export on a 24 GB host; with a 4 MB young generation (semi-space) and old space capped at
# 256 MB (4x the ~60 MB the api holds) it stays under 200 MB (tools/bench/results,
# export-100k). The price is more frequent minor GCs: about 10 % of the throughput of a cached
# read. Drop the flags (or raise them) for a host where memory is cheaper than CPU.
# The preload starts OpenTelemetry when OTEL_EXPORTER_OTLP_ENDPOINT is set and returns at once
# otherwise (src/infra/telemetry/preload.ts).
CMD ["node", "--max-semi-space-size=4", "--max-old-space-size=256", "--import", "./dist/infra/telemetry/preload.js", "dist/server.js"]
