// The driver adapter factory handed to the wasm schema engine: @prisma/adapter-pg, with the fixes
// the engine needs (see README.md, "Known differences"):
// - scripts (migrations, `db execute`) run as ONE simple-protocol query, never split on `;`;
// - shadow databases get explicit connection fields, are created and dropped by the shim, and a
//   configured shadowDatabaseUrl is wiped on use, as the native engine does;
// - one session per pool (advisory lock), catalog column types readable (connection.mjs).

import { randomUUID } from 'node:crypto';

import { PrismaPg } from '@prisma/adapter-pg';
import { DriverAdapterError } from '@prisma/driver-adapter-utils';

import { connectAdminClient, connectClient, enginePoolConfig, quoteIdent, settleTls } from './connection.mjs';
import { ShimError } from './errors.mjs';

/** Everything the shim opened, so that an interrupted run can still clean up. */
const openAdapters = new Set();

/**
 * @param {{ main?: ReturnType<import('./connection.mjs').parseConnectionUrl>,
 *           shadow?: ReturnType<import('./connection.mjs').parseConnectionUrl> }} connections
 */
export function createAdapterFactory({ main, shadow }) {
  const requireMain = () => {
    if (!main) {
      throw new ShimError(
        undefined,
        'No database URL: set `datasource.url` in prisma.config.ts (DATABASE_URL). The schema engine shim needs it for this command.',
      );
    }
    return main;
  };

  return {
    provider: 'postgres',
    adapterName: '@prisma/adapter-pg',

    async connect() {
      // The wasm engine connects as soon as it is constructed, so every command needs the URL.
      const conn = requireMain();
      return openAdapter(conn, await settleTls(conn));
    },

    async connectToShadowDb() {
      if (shadow) return openConfiguredShadow(requireMain(), shadow);
      return openTemporaryShadow(requireMain());
    },
  };
}

/**
 * adapter-pg over an engine pool, with executeScript replaced.
 * @param {ReturnType<import('./connection.mjs').parseConnectionUrl>} conn
 * @param {import('pg').ClientConfig} clientConfig
 * @param {() => Promise<void>} [afterDispose] runs once the pool is closed.
 */
async function openAdapter(conn, clientConfig, afterDispose) {
  const adapter = await new PrismaPg(enginePoolConfig(clientConfig), { schema: conn.schema }).connect();
  let disposed = false;
  const wrapped = {
    provider: adapter.provider,
    adapterName: adapter.adapterName,
    queryRaw: (query) => adapter.queryRaw(query),
    executeRaw: (query) => adapter.executeRaw(query),
    startTransaction: (isolationLevel) => adapter.startTransaction(isolationLevel),
    getConnectionInfo: () => adapter.getConnectionInfo(),
    // adapter-pg splits scripts on `;` and runs the pieces one by one: a plpgsql body or a string
    // containing `;` breaks, and a migration that fails halfway leaves its first statements
    // committed. A query without parameters goes over PostgreSQL's simple query protocol, which
    // runs a multi-statement string as ONE implicit transaction, exactly like the native engine.
    executeScript: async (script) => {
      try {
        await adapter.underlyingDriver().query(script);
      } catch (err) {
        throw scriptError(err);
      }
    },
    dispose: async () => {
      if (disposed) return;
      disposed = true;
      openAdapters.delete(wrapped);
      try {
        // pool.end() waits for a query still running (an interrupted command); do not let that
        // keep a temporary database alive: its DROP ... WITH (FORCE) ends such sessions anyway.
        await Promise.race([adapter.dispose(), delay(2000)]);
      } finally {
        await afterDispose?.();
      }
    },
  };
  openAdapters.add(wrapped);
  return wrapped;
}

/**
 * A failed script is reported to the engine as a plain PostgreSQL error (kind "postgres": SQLSTATE,
 * message, detail, hint) rather than adapter-pg's mapped kinds, and is kept for the P3018 message
 * (rpc-errors.mjs), which the native engine builds from the database error too.
 */
function scriptError(err) {
  if (typeof err?.code !== 'string' || typeof err?.severity !== 'string') {
    return err; // not a server error (connection lost...): the binder reports it as a JS error
  }
  lastScriptError = err;
  return new DriverAdapterError({
    kind: 'postgres',
    code: err.code,
    severity: err.severity,
    message: err.message,
    detail: err.detail,
    column: err.column,
    hint: err.hint,
  });
}

/** The PostgreSQL error of the last failed script, for the RPC layer's P3018 message. */
let lastScriptError;
export function takeLastScriptError() {
  const err = lastScriptError;
  lastScriptError = undefined;
  return err;
}

/**
 * Without shadowDatabaseUrl: create `prisma_migrate_shadow_db_<uuid>` next to the main database
 * (same server and credentials, like the native engine) and drop it on dispose.
 */
async function openTemporaryShadow(main) {
  const name = `prisma_migrate_shadow_db_${randomUUID()}`;
  const admin = await connectClient(main).catch(async (err) => {
    // The main database may not exist yet (e.g. `migrate diff` in CI): use the maintenance one.
    if (err instanceof ShimError && err.code === 'P1003') return connectAdminClient(main);
    throw err;
  });
  try {
    await admin.query(`CREATE DATABASE ${quoteIdent(name)}`);
  } catch (err) {
    await admin.end().catch(() => {});
    throw new ShimError(
      'P3014',
      `Prisma Migrate could not create the shadow database. Please make sure the database user has permission to create databases. Read more about the shadow database (and workarounds) at https://pris.ly/d/migrate-shadow\n\nOriginal error: ${err.message}`,
    );
  }
  const dropShadow = async () => {
    try {
      // The pool is closed first; FORCE also ends any session the engine may have left behind.
      // PostgreSQL before 13 has no FORCE (syntax error 42601): drop without it there.
      await admin.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`).catch((err) => {
        if (err?.code !== '42601') throw err;
        return admin.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)}`);
      });
    } finally {
      await admin.end().catch(() => {});
    }
  };
  try {
    return await openAdapter(main, await settleTls(main, name), dropShadow);
  } catch (err) {
    await dropShadow().catch(() => {});
    throw err;
  }
}

/**
 * With shadowDatabaseUrl: the wasm engine uses that database as it is, but migrations must replay
 * on an EMPTY database (the native engine resets it), or `migrate dev` fails with P3006. The shim
 * drops and recreates the URL's schema when the engine connects and again when it is done.
 */
async function openConfiguredShadow(main, shadow) {
  const sameDatabase = shadow.host === main.host && shadow.port === main.port && shadow.database === main.database;
  if (sameDatabase && (shadow.schema ?? 'public') === (main.schema ?? 'public')) {
    throw new ShimError(
      undefined,
      'The shadow database you configured appears to be the same as the main database. Please specify another shadow database.',
    );
  }
  const schema = quoteIdent(shadow.schema ?? 'public');
  const wipe = async () => {
    const client = await connectClient(shadow);
    try {
      await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE; CREATE SCHEMA ${schema};`);
    } finally {
      await client.end().catch(() => {});
    }
  };
  await wipe();
  return openAdapter(shadow, await settleTls(shadow), wipe);
}

const delay = (ms) => new Promise((resolve) => setTimeout(resolve, ms).unref());

/** Close whatever is still open (the CLI closed stdin, or the process is being stopped). */
export async function disposeAll() {
  await Promise.allSettled([...openAdapters].map((adapter) => adapter.dispose()));
}
