// A database of its own for a native run (topology, observability): named after the run, created
// on the admin connection, dropped (even with sessions still open) when the run ends.
import pg from 'pg';

const adminDatabaseUrl = process.env.DATABASE_ADMIN_URL ?? 'postgresql://postgres:postgres@127.0.0.1:5432/postgres';

async function withAdminClient(fn) {
  const client = new pg.Client({ connectionString: adminDatabaseUrl });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** `name` must be a safe identifier (the callers build it from letters, digits and `_`). */
export function scratchDatabase(name) {
  return {
    name,
    url: Object.assign(new URL(adminDatabaseUrl), { pathname: `/${name}` }).toString(),
    create: () => withAdminClient((client) => client.query(`CREATE DATABASE "${name}"`)),
    drop: () => withAdminClient((client) => client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)),
  };
}
