// The engine binary's one-shot commands. The CLI runs `<engine> --datasource '{"url":...}' cli
// can-connect-to-database` before every command that touches the database, and `cli
// create-database` when that answered P1003 (database missing) for `migrate dev` / `deploy`.

import { connectAdminClient, connectClient, parseConnectionUrl, quoteIdent } from './connection.mjs';
import { ShimError, knownConnectionError } from './errors.mjs';

/** @param {{ cli: string, datasource?: { url?: string } }} args */
export async function runCliCommand({ cli, datasource }) {
  const conn = parseConnectionUrl(requireUrl(datasource));
  switch (cli) {
    case 'can-connect-to-database': {
      const client = await connectClient(conn);
      try {
        await client.query('SELECT 1');
      } finally {
        await client.end().catch(() => {});
      }
      return;
    }
    case 'create-database': {
      // When two commands start at the same time (two replicas running `migrate deploy` on a new
      // database) the other one may have created it meanwhile: it exists, which is all the
      // caller needs. (The native engine would fail with P1009 here.)
      await createDatabase(conn).catch((err) => {
        if (!(err instanceof ShimError && err.code === 'P1009')) throw err;
      });
      process.stdout.write(`Database '${conn.database}' was successfully created.\n`);
      return;
    }
    default:
      throw new ShimError(undefined, `Unknown schema engine cli command: ${cli}`);
  }
}

/**
 * CREATE DATABASE for the URL's database, from the server's maintenance database (there is no
 * wasm method for it). Returns the name.
 * @param {ReturnType<typeof parseConnectionUrl>} conn
 */
export async function createDatabase(conn) {
  const admin = await connectAdminClient(conn);
  try {
    await admin.query(`CREATE DATABASE ${quoteIdent(conn.database)}`);
  } catch (err) {
    // 42P04: it exists. 23505: two CREATE DATABASE of the same name raced on pg_database.
    if (err?.code === '42P04' || err?.code === '23505') {
      throw new ShimError(
        'P1009',
        `Database \`${conn.database}\` already exists on the database server at \`${conn.host}:${conn.port}\``,
      );
    }
    throw knownConnectionError(err, conn) ?? err;
  } finally {
    await admin.end().catch(() => {});
  }
  return conn.database;
}

export function requireUrl(datasource) {
  if (!datasource?.url) {
    throw new ShimError(
      undefined,
      'No database URL was given to the schema engine shim (`--datasource` without `url`).',
    );
  }
  return datasource.url;
}
