#!/bin/sh
# Entry point of the one-shot `migrate` service/Job: apply the committed migrations, then seed.
# `prisma migrate deploy` holds a PostgreSQL advisory lock while it runs, so two migrate jobs
# started at once (a rolling deploy, `--scale`) apply each migration exactly once; the seed is
# idempotent (an existing admin keeps its password, demo items are created once).
set -eu
node tools/prisma-offline/prisma.mjs migrate deploy
if [ "${SEED:-true}" = "true" ]; then
  node dist/seed.js
fi
