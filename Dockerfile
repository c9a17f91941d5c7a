# Multi-stage build of the API image. The same image runs the api (default CMD), the worker
# (`node dist/worker.js`) and the one-shot migrate job (`sh scripts/docker-migrate.sh`).
#   deps     all dependencies (npm ci) and the generated Prisma client
#   build    TypeScript -> dist/, the seed bundled to dist/seed.js, then dev dependencies pruned
#   runtime  node + production node_modules + dist + what `prisma migrate deploy` needs
ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS deps
WORKDIR /app
# `npm ci` runs the postinstall `prisma generate`, which needs the schema, the CLI wrapper and
# the config file. prisma.config.ts reads DATABASE_URL; generate never connects, so a
# placeholder that exists only in this build step is enough.
COPY package.json package-lock.json prisma.config.ts ./
COPY prisma ./prisma
COPY scripts/prisma.mjs ./scripts/prisma.mjs
RUN DATABASE_URL=postgresql://build:build@localhost:5432/build \
    npm ci --no-audit --no-fund --loglevel=warn

FROM deps AS build
COPY tsconfig.json ./
COPY src ./src
# The seed is TypeScript that imports src/; `build:seed` bundles it with esbuild (packages stay
# external imports) so the runtime image seeds with plain node, without tsx or the sources.
RUN npm run build \
    && npm run build:seed \
    && npm prune --omit=dev --no-audit --no-fund

FROM ${NODE_IMAGE} AS runtime
# MALLOC_ARENA_MAX=2: glibc gives each thread that allocates (V8's helpers, libuv's pool) its
# own malloc arena, whose freed pages stay resident; two arenas keep the api's native memory
# down at no measurable cost (bench/results).
ENV NODE_ENV=production \
    PORT=3000 \
    UPLOAD_DIR=/app/uploads \
    MALLOC_ARENA_MAX=2
WORKDIR /app
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# For the migrate job: the Prisma CLI (a production dependency), its config, the migrations and
# the offline schema-engine shim used when the native engine could not be downloaded.
COPY prisma.config.ts ./
COPY prisma ./prisma
COPY scripts/prisma.mjs scripts/docker-migrate.sh ./scripts/
# The image's own files stay root-owned (the app cannot rewrite its code); only the upload
# directory belongs to the unprivileged `node` user (uid 1000) the processes run as.
RUN mkdir -p /app/uploads && chown node:node /app/uploads
USER node
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
    CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/health/live').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# Exec form: node is the process that receives SIGTERM and drains (src/server.ts). Compose adds
# `init: true` (tini as PID 1) to reap any child process.
# Heap flags, for the api only (the worker and the migrate job set their own command): V8 sizes
# its heap for the whole machine, not for a container, and grew the api to 250-300 MB RSS during
# a 100k-row export on a 24 GB host; with a 4 MB young generation (semi-space) and old space
# capped at 256 MB (4x the ~60 MB the api holds) it stays under 200 MB (bench/results,
# export-100k). The price is more frequent minor GCs: about 10 % of the throughput of a cached
# read. Drop the flags (or raise them) for a host where memory is cheaper than CPU.
CMD ["node", "--max-semi-space-size=4", "--max-old-space-size=256", "dist/server.js"]
