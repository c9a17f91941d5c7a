// The Prisma schema engine shim (engine-shim/), exercised through the real Prisma CLI exactly as
// the npm scripts run it: `node tools/prisma-offline/prisma.mjs <args>`. PRISMA_SCHEMA_ENGINE_BINARY
// is set to the shim, so these tests check the shim even where Prisma's native engine is installed.
// Also covers the drift check, scripts/check-migrations.mjs, which runs through the wrapper.
// Every test works on databases and project folders of its own, so it can run next to any other.
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { appendFile, cp, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const PRISMA = path.join(ROOT, 'tools/prisma-offline/prisma.mjs');
const CHECK_MIGRATIONS = path.join(ROOT, 'scripts/check-migrations.mjs');
const SHIM = path.join(ROOT, 'tools/prisma-offline/engine-shim/schema-engine.mjs');
const ADMIN_URL = process.env.TEST_DATABASE_ADMIN_URL ?? 'postgresql://postgres:postgres@127.0.0.1:5432/postgres';
/** The key of the advisory lock Prisma Migrate holds while it applies migrations. */
const PRISMA_MIGRATE_LOCK_KEY = 72707369;

const databases: string[] = [];
const folders: string[] = [];

afterAll(async () => {
  await withAdmin(async (admin) => {
    for (const name of databases) await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  });
  await Promise.all(folders.map((dir) => rm(dir, { recursive: true, force: true })));
});

// ---------------------------------------------------------------------------------------------
// Helpers

interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** stdout and stderr together, for messages whose stream does not matter. */
  output: string;
}

function runNode(
  script: string,
  args: string[],
  options: { cwd?: string; env?: Record<string, string> } = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...args], {
      cwd: options.cwd ?? ROOT,
      env: {
        ...process.env,
        PRISMA_SCHEMA_ENGINE_BINARY: SHIM,
        CHECKPOINT_DISABLE: '1', // no update check over the network
        PRISMA_HIDE_UPDATE_MESSAGE: '1',
        ...options.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr, output: `${stdout}\n${stderr}` }));
  });
}

const prisma = (args: string[], options: { cwd?: string; databaseUrl: string }) =>
  runNode(PRISMA, args, { cwd: options.cwd, env: { DATABASE_URL: options.databaseUrl } });

async function withAdmin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: ADMIN_URL });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

function urlFor(database: string, params = ''): string {
  const url = new URL(ADMIN_URL);
  url.pathname = `/${database}`;
  url.search = params;
  return url.toString();
}

/** A new, empty database that is dropped after the file's tests. */
async function createDatabase(label: string): Promise<{ name: string; url: string }> {
  const name = `shim_${label}_${randomBytes(5).toString('hex')}`;
  databases.push(name);
  await withAdmin((admin) => admin.query(`CREATE DATABASE "${name}"`));
  return { name, url: urlFor(name) };
}

async function query<R extends pg.QueryResultRow>(
  databaseUrl: string,
  sql: string,
  values: unknown[] = [],
): Promise<R[]> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    return (await client.query<R>(sql, values)).rows;
  } finally {
    await client.end();
  }
}

interface MigrationRow {
  migration_name: string;
  checksum: string;
  finished_at: Date | null;
  rolled_back_at: Date | null;
  logs: string | null;
}

const migrationRows = (databaseUrl: string, schema = 'public') =>
  query<MigrationRow>(
    databaseUrl,
    `SELECT migration_name, checksum, finished_at, rolled_back_at, logs FROM "${schema}"."_prisma_migrations" ORDER BY started_at, migration_name`,
  );

/** Migration folder names of a migrations directory, in the order Prisma applies them. */
async function migrationNames(migrationsDir: string): Promise<string[]> {
  const entries = await readdir(migrationsDir, { withFileTypes: true });
  return entries
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
}

async function checksumOf(migrationsDir: string, name: string): Promise<string> {
  return createHash('sha256')
    .update(await readFile(path.join(migrationsDir, name, 'migration.sql')))
    .digest('hex');
}

/**
 * A throw-away copy of the project's schema and committed migrations, with a prisma.config.ts
 * that reads DATABASE_URL. The CLI is started in it, so it only ever sees this copy.
 */
async function copyProject(label: string): Promise<{ dir: string; schema: string; migrations: string }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), `shim-${label}-`));
  folders.push(dir);
  await mkdir(path.join(dir, 'prisma'));
  await cp(path.join(ROOT, 'prisma/migrations'), path.join(dir, 'prisma/migrations'), { recursive: true });
  await cp(path.join(ROOT, 'prisma/schema.prisma'), path.join(dir, 'prisma/schema.prisma'));
  // No imports: the temp folder has no node_modules.
  await writeFile(
    path.join(dir, 'prisma.config.ts'),
    [
      'export default {',
      "  schema: 'prisma/schema.prisma',",
      "  migrations: { path: 'prisma/migrations' },",
      '  datasource: { url: process.env.DATABASE_URL },',
      '};',
      '',
    ].join('\n'),
  );
  return { dir, schema: path.join(dir, 'prisma/schema.prisma'), migrations: path.join(dir, 'prisma/migrations') };
}

async function addMigration(migrationsDir: string, name: string, sql: string): Promise<void> {
  await mkdir(path.join(migrationsDir, name));
  await writeFile(path.join(migrationsDir, name, 'migration.sql'), sql);
}

const COMMITTED_MIGRATIONS = path.join(ROOT, 'prisma/migrations');

// ---------------------------------------------------------------------------------------------

describe('Prisma schema engine shim (real CLI through tools/prisma-offline/prisma.mjs)', () => {
  it('migrate deploy applies the committed migrations to an empty database, once', { timeout: 60_000 }, async () => {
    const db = await createDatabase('deploy');
    const committed = await migrationNames(COMMITTED_MIGRATIONS);
    expect(committed.length).toBeGreaterThan(0);

    const first = await prisma(['migrate', 'deploy'], { databaseUrl: db.url });
    expect(first.code, first.output).toBe(0);
    expect(first.stdout).toContain('All migrations have been successfully applied.');

    const rows = await migrationRows(db.url);
    expect(rows.map((row) => row.migration_name)).toEqual(committed);
    for (const row of rows) {
      // Written by the engine itself: the sha256 of migration.sql, as the native engine writes it.
      expect(row.checksum).toBe(await checksumOf(COMMITTED_MIGRATIONS, row.migration_name));
      expect(row.finished_at).not.toBeNull();
      expect(row.rolled_back_at).toBeNull();
    }
    const [users] = await query<{ table: string | null }>(db.url, `SELECT to_regclass('public.users')::text AS table`);
    expect(users?.table).toBe('users');

    const status = await prisma(['migrate', 'status'], { databaseUrl: db.url });
    expect(status.code, status.output).toBe(0);
    expect(status.stdout).toContain('Database schema is up to date!');

    const second = await prisma(['migrate', 'deploy'], { databaseUrl: db.url });
    expect(second.code, second.output).toBe(0);
    expect(second.stdout).toContain('No pending migrations to apply.');
    expect(await migrationRows(db.url)).toHaveLength(committed.length);
  });

  it(
    'a second migration (migrate dev) applies on top of the committed ones, in order, once',
    { timeout: 90_000 },
    async () => {
      const project = await copyProject('second');
      await appendFile(
        project.schema,
        '\nmodel ShimWidget {\n  id    Int    @id @default(autoincrement())\n  label String\n\n  @@map("shim_widgets")\n}\n',
      );
      const committed = await migrationNames(project.migrations);

      // On an empty database `migrate dev` first applies the committed migrations, then creates and
      // applies the new one.
      const devDb = await createDatabase('dev');
      const dev = await prisma(['migrate', 'dev', '--name', 'second'], { cwd: project.dir, databaseUrl: devDb.url });
      expect(dev.code, dev.output).toBe(0);

      const all = await migrationNames(project.migrations);
      expect(all).toHaveLength(committed.length + 1);
      expect(all.slice(0, -1)).toEqual(committed);
      const added = all.at(-1) ?? '';
      expect(added).toMatch(/^\d{14}_second$/);
      expect(await readFile(path.join(project.migrations, added, 'migration.sql'), 'utf8')).toContain(
        'CREATE TABLE "shim_widgets"',
      );
      expect((await migrationRows(devDb.url)).map((row) => row.migration_name)).toEqual(all);

      // Nothing left to do: no further migration, nothing applied twice.
      const again = await prisma(['migrate', 'dev', '--name', 'third'], { cwd: project.dir, databaseUrl: devDb.url });
      expect(again.code, again.output).toBe(0);
      expect(again.stdout).toContain('Already in sync');
      expect(await migrationNames(project.migrations)).toEqual(all);

      // A production-style deploy of the same folder on another database: all of them, in order.
      const deployDb = await createDatabase('deploy2');
      const deploy = await prisma(['migrate', 'deploy'], { cwd: project.dir, databaseUrl: deployDb.url });
      expect(deploy.code, deploy.output).toBe(0);
      const rows = await migrationRows(deployDb.url);
      expect(rows.map((row) => row.migration_name)).toEqual(all);
      for (const row of rows) expect(row.checksum).toBe(await checksumOf(project.migrations, row.migration_name));
      const finished = rows.map((row) => row.finished_at?.getTime() ?? Number.NaN);
      expect(finished).toEqual([...finished].sort((a, b) => a - b));

      const redeploy = await prisma(['migrate', 'deploy'], { cwd: project.dir, databaseUrl: deployDb.url });
      expect(redeploy.code, redeploy.output).toBe(0);
      expect(redeploy.stdout).toContain('No pending migrations to apply.');
      expect(await migrationRows(deployDb.url)).toHaveLength(all.length);
    },
  );

  it(
    'the drift check exits 0 when schema and migrations agree and non-zero when they do not',
    { timeout: 60_000 },
    async () => {
      const project = await copyProject('drift');
      const db = await createDatabase('drift'); // only the server is used: for the shadow database
      const check = () => runNode(CHECK_MIGRATIONS, [], { cwd: project.dir, env: { DATABASE_URL: db.url } });

      const inSync = await check();
      expect(inSync.code, inSync.output).toBe(0);
      expect(inSync.stdout).toContain('in sync');

      // Schema ahead of the migrations (a model without a migration).
      const schemaBefore = await readFile(project.schema, 'utf8');
      await appendFile(project.schema, '\nmodel ShimDrift {\n  id Int @id\n\n  @@map("shim_drift")\n}\n');
      const schemaAhead = await check();
      expect(schemaAhead.code, schemaAhead.output).toBe(2);
      expect(schemaAhead.stderr).toContain('DRIFT');
      expect(schemaAhead.stderr).toContain('shim_drift');

      // Migrations ahead of the schema (a hand-written migration the schema does not know).
      await writeFile(project.schema, schemaBefore);
      await addMigration(
        project.migrations,
        '29990101000000_unknown_table',
        'CREATE TABLE "shim_unknown" ("id" INTEGER PRIMARY KEY);\n',
      );
      const migrationsAhead = await check();
      expect(migrationsAhead.code, migrationsAhead.output).toBe(2);
      expect(migrationsAhead.stderr).toContain('shim_unknown');

      // The check never touches the database it was pointed at.
      const tables = await query<{ n: string }>(
        db.url,
        `SELECT count(*) AS n FROM pg_tables WHERE schemaname = 'public'`,
      );
      expect(tables[0]?.n).toBe('0');
    },
  );

  it(
    'a failing migration leaves nothing behind and is recorded as failed (whole-script execution)',
    { timeout: 60_000 },
    async () => {
      const project = await copyProject('failing');
      // Semicolons inside a string literal and a plpgsql body: a script split on `;` would break.
      await addMigration(
        project.migrations,
        '29990101000000_plpgsql_ok',
        [
          `CREATE TABLE "shim_ok" ("id" INTEGER PRIMARY KEY, "note" TEXT NOT NULL DEFAULT 'a;b');`,
          'CREATE FUNCTION shim_ok_next(x INTEGER) RETURNS INTEGER LANGUAGE plpgsql AS $$',
          'DECLARE',
          '  y INTEGER;',
          'BEGIN',
          '  y := x + 1;',
          '  RETURN y;',
          'END;',
          '$$;',
          '',
        ].join('\n'),
      );
      // Creates a table and a function, then fails on its last statement.
      await addMigration(
        project.migrations,
        '29990101000001_broken',
        [
          'CREATE TABLE "shim_broken" ("id" INTEGER PRIMARY KEY);',
          'CREATE FUNCTION shim_broken_bump() RETURNS TRIGGER LANGUAGE plpgsql AS $$',
          'BEGIN',
          '  NEW.id := NEW.id + 1;',
          '  RETURN NEW;',
          'END;',
          '$$;',
          'INSERT INTO "shim_broken" ("id") VALUES (1);',
          'INSERT INTO "shim_broken" ("id") VALUES (1);',
          '',
        ].join('\n'),
      );
      const db = await createDatabase('failing');

      const deploy = await prisma(['migrate', 'deploy'], { cwd: project.dir, databaseUrl: db.url });
      expect(deploy.code).not.toBe(0);
      expect(deploy.output).toContain('P3018');
      expect(deploy.output).toContain('29990101000001_broken');
      expect(deploy.output).toContain('23505'); // the duplicate key, reported with its SQLSTATE

      // The migration before it was applied as one script, function body intact.
      const [ok] = await query<{ next: number; note: string }>(
        db.url,
        `INSERT INTO "shim_ok" ("id") VALUES (1) RETURNING shim_ok_next(41) AS next, note`,
      );
      expect(ok).toEqual({ next: 42, note: 'a;b' });

      // Nothing of the failed migration exists: it ran as one transaction.
      const [leftovers] = await query<{ table: string | null; fn: string | null }>(
        db.url,
        `SELECT to_regclass('public.shim_broken')::text AS table, to_regproc('public.shim_broken_bump')::text AS fn`,
      );
      expect(leftovers).toEqual({ table: null, fn: null });

      const rows = await migrationRows(db.url);
      const broken = rows.find((row) => row.migration_name === '29990101000001_broken');
      expect(broken).toMatchObject({ finished_at: null, rolled_back_at: null });
      expect(broken?.logs).toBeTruthy();
      expect(rows.filter((row) => row.finished_at !== null).map((row) => row.migration_name)).toEqual(
        (await migrationNames(project.migrations)).slice(0, -1),
      );

      const status = await prisma(['migrate', 'status'], { cwd: project.dir, databaseUrl: db.url });
      expect(status.code).not.toBe(0);
      expect(status.output).toContain('29990101000001_broken');

      // Further deploys refuse to run until the failure is resolved.
      const retry = await prisma(['migrate', 'deploy'], { cwd: project.dir, databaseUrl: db.url });
      expect(retry.code).not.toBe(0);
      expect(retry.output).toContain('P3009');
    },
  );

  it(
    'two concurrent migrate deploy runs serialize on the advisory lock and apply each migration once',
    { timeout: 90_000 },
    async () => {
      const project = await copyProject('lock');
      const db = await createDatabase('lock');
      // The extra migration blocks on a lock this test holds, so whichever run gets Prisma's lock
      // first stays inside it until the other one is seen queueing for it: no timing guesswork.
      const gateKey = 1_000_000 + Math.floor(Math.random() * 1_000_000);
      await addMigration(
        project.migrations,
        '29990101000000_gated',
        `CREATE TABLE "shim_gated" ("id" INTEGER PRIMARY KEY);\nSELECT pg_advisory_xact_lock(${gateKey});\n`,
      );
      const gate = new pg.Client({ connectionString: db.url });
      await gate.connect();
      try {
        await gate.query('SELECT pg_advisory_lock($1)', [gateKey]);
        const runs = Promise.all([
          prisma(['migrate', 'deploy'], { cwd: project.dir, databaseUrl: db.url }),
          prisma(['migrate', 'deploy'], { cwd: project.dir, databaseUrl: db.url }),
        ]);

        // One session holds Prisma's migration lock while another one waits for it.
        const deadline = Date.now() + 60_000;
        let queued = false;
        while (!queued && Date.now() < deadline) {
          const { rows } = await gate.query<{ held: string; waiting: string }>(
            `SELECT count(*) FILTER (WHERE granted) AS held, count(*) FILTER (WHERE NOT granted) AS waiting
             FROM pg_locks WHERE locktype = 'advisory' AND objid = $1 AND database = (SELECT oid FROM pg_database WHERE datname = $2)`,
            [PRISMA_MIGRATE_LOCK_KEY, db.name],
          );
          queued = rows[0]?.held === '1' && rows[0]?.waiting === '1';
          if (!queued) await new Promise((resolve) => setTimeout(resolve, 100));
        }
        await gate.query('SELECT pg_advisory_unlock($1)', [gateKey]);
        const results = await runs;
        expect(queued).toBe(true);

        for (const run of results) expect(run.code, run.output).toBe(0);
        expect(
          results.filter((run) => run.stdout.includes('All migrations have been successfully applied.')),
        ).toHaveLength(1);
        expect(results.filter((run) => run.stdout.includes('No pending migrations to apply.'))).toHaveLength(1);

        const rows = await migrationRows(db.url);
        expect(rows.map((row) => row.migration_name)).toEqual(await migrationNames(project.migrations));
        expect(rows.every((row) => row.finished_at !== null && row.rolled_back_at === null)).toBe(true);
      } finally {
        await gate.end();
      }
    },
  );

  it('passes URL parameters on: schema, sslmode, timeouts, application_name', { timeout: 60_000 }, async () => {
    const db = await createDatabase('params');
    const url = urlFor(
      db.name,
      '?schema=shim_app&sslmode=disable&connect_timeout=10&application_name=shim-test&connection_limit=2',
    );

    const deploy = await prisma(['migrate', 'deploy'], { databaseUrl: url });
    expect(deploy.code, deploy.output).toBe(0);
    const [placed] = await query<{ app: string | null; pub: string | null }>(
      db.url,
      `SELECT to_regclass('shim_app.users')::text AS app, to_regclass('public.users')::text AS pub`,
    );
    expect(placed).toEqual({ app: 'shim_app.users', pub: null });
    expect(await migrationRows(db.url, 'shim_app')).toHaveLength((await migrationNames(COMMITTED_MIGRATIONS)).length);

    const status = await prisma(['migrate', 'status'], { databaseUrl: url });
    expect(status.code, status.output).toBe(0);

    // sslmode=require must really ask for TLS: against a server without TLS that fails (P1011).
    const [{ ssl } = { ssl: 'off' }] = await query<{ ssl: string }>(db.url, 'SHOW ssl');
    const requireTls = await prisma(['migrate', 'status'], {
      databaseUrl: urlFor(db.name, '?schema=shim_app&sslmode=require'),
    });
    if (ssl === 'on') {
      expect(requireTls.code, requireTls.output).toBe(0);
    } else {
      expect(requireTls.code).not.toBe(0);
      expect(requireTls.output).toContain('P1011');
    }
  });

  it('rollback: the documented down-migration SQL undoes a migration via db execute', { timeout: 90_000 }, async () => {
    const project = await copyProject('rollback');
    const db = await createDatabase('rollback');
    const deploy = await prisma(['migrate', 'deploy'], { cwd: project.dir, databaseUrl: db.url });
    expect(deploy.code, deploy.output).toBe(0);

    // 1. Change the schema, and BEFORE creating the migration write its down script:
    //    from the new schema back to what the migrations folder builds.
    const schemaBefore = await readFile(project.schema, 'utf8');
    await appendFile(project.schema, '\nmodel ShimRollback {\n  id Int @id\n\n  @@map("shim_rollbacks")\n}\n');
    const down = await prisma(
      ['migrate', 'diff', '--from-schema', 'prisma/schema.prisma', '--to-migrations', 'prisma/migrations', '--script'],
      { cwd: project.dir, databaseUrl: db.url },
    );
    expect(down.code, down.output).toBe(0);
    expect(down.stdout).toMatch(/DROP TABLE ("public"\.)?"shim_rollbacks"/);

    // 2. Create and apply the migration; keep down.sql next to it.
    const dev = await prisma(['migrate', 'dev', '--name', 'add_rollbacks'], { cwd: project.dir, databaseUrl: db.url });
    expect(dev.code, dev.output).toBe(0);
    const added = (await migrationNames(project.migrations)).at(-1) ?? '';
    expect(added).toMatch(/_add_rollbacks$/);
    const downFile = path.join(project.migrations, added, 'down.sql');
    await writeFile(downFile, down.stdout);

    // An equivalent down script can also be produced afterwards, from the previous schema.
    const previousSchema = path.join(project.dir, 'previous.prisma');
    await writeFile(previousSchema, schemaBefore);
    const downLater = await prisma(
      ['migrate', 'diff', '--from-migrations', 'prisma/migrations', '--to-schema', previousSchema, '--script'],
      { cwd: project.dir, databaseUrl: db.url },
    );
    expect(downLater.code, downLater.output).toBe(0);
    expect(downLater.stdout).toMatch(/DROP TABLE ("public"\.)?"shim_rollbacks"/);

    // 3. Roll back: run down.sql, forget the migration, drop it from the folder and the schema.
    const undo = await prisma(['db', 'execute', '--file', downFile], { cwd: project.dir, databaseUrl: db.url });
    expect(undo.code, undo.output).toBe(0);
    await query(db.url, `DELETE FROM "_prisma_migrations" WHERE migration_name = $1`, [added]);
    await rm(path.join(project.migrations, added), { recursive: true });
    await writeFile(project.schema, schemaBefore);

    const [gone] = await query<{ table: string | null }>(
      db.url,
      `SELECT to_regclass('public.shim_rollbacks')::text AS table`,
    );
    expect(gone?.table).toBeNull();
    const status = await prisma(['migrate', 'status'], { cwd: project.dir, databaseUrl: db.url });
    expect(status.code, status.output).toBe(0);
    const drift = await prisma(
      ['migrate', 'diff', '--from-config-datasource', '--to-migrations', 'prisma/migrations', '--exit-code'],
      { cwd: project.dir, databaseUrl: db.url },
    );
    expect(drift.code, drift.output).toBe(0);
  });

  it('the prisma.mjs wrapper keeps an engine set in PRISMA_SCHEMA_ENGINE_BINARY', { timeout: 60_000 }, async () => {
    const version = await runNode(PRISMA, ['version'], { env: { DATABASE_URL: urlFor('unused') } });
    expect(version.code, version.output).toBe(0);
    expect(version.stdout).toContain('wasm shim');
    expect(version.stdout).toContain('resolved by PRISMA_SCHEMA_ENGINE_BINARY');
    expect(version.stderr).not.toContain('using the wasm engine shim');
  });
});
