#!/usr/bin/env node
// Drift check for CI: do the committed migrations (prisma/migrations) produce exactly the database
// that prisma/schema.prisma describes? Exit 0 if so, 2 on drift, 1 if the check could not run.
//
//   DATABASE_URL=postgresql://... node scripts/check-migrations.mjs
//
// Prisma replays the migrations on a temporary shadow database, so DATABASE_URL must point to a
// PostgreSQL server where that user may CREATE DATABASE (or set shadowDatabaseUrl in
// prisma.config.ts). The database itself is only read, never changed. Paths are relative to the
// current directory (the project root when run through npm).

import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

// Prisma's CLI through the offline-engine wrapper (tools/prisma-offline/README.md).
const prismaWrapper = path.join(path.dirname(fileURLToPath(import.meta.url)), '../tools/prisma-offline/prisma.mjs');
const migrations = 'prisma/migrations';
const schema = 'prisma/schema.prisma';

const run = spawnSync(
  process.execPath,
  [prismaWrapper, 'migrate', 'diff', '--from-migrations', migrations, '--to-schema', schema, '--exit-code'],
  { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' },
);

const summary = (run.stdout ?? '').trim();
switch (run.status) {
  case 0:
    console.log(`Migrations are in sync: ${migrations} produces exactly ${schema}.`);
    process.exit(0);
    break;
  case 2:
    console.error(
      [
        `DRIFT: ${schema} and ${migrations} disagree.`,
        `Applying the migrations would not give the database the schema describes. Differences (migrations -> schema):`,
        '',
        summary,
        '',
        'Create the missing migration with `npm run db:migrate -- --name <change>` and commit it,',
        'or revert the schema change.',
      ].join('\n'),
    );
    process.exit(2);
    break;
  default:
    if (summary) console.error(summary);
    console.error(
      `Could not check migrations for drift (prisma exited with ${run.status ?? run.signal}). ` +
        'Is DATABASE_URL set to a reachable PostgreSQL server where a shadow database can be created?',
    );
    process.exit(1);
}
