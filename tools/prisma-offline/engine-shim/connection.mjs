// Turns a Prisma PostgreSQL connection URL into node-postgres settings, and opens plain pg clients
// for the few things the wasm engine does not do itself (can-connect, create-database, shadow
// databases).
//
// Why not hand the URL to pg as `connectionString`: pg lets the string override every separate
// field (so a shadow pool "with another database" silently connects to the main one), and it does
// not know Prisma's own parameters (`schema`, `sslaccept`, `sslidentity`, `connect_timeout`...).
// So the URL is parsed once here and pg always gets explicit host/port/user/password/database.

import { readFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';

import { ShimError, knownConnectionError } from './errors.mjs';

/**
 * Prisma URL parameters that do not apply here and are ignored without a warning: pool tuning
 * (the shim uses a single connection) and statement caching (the shim prepares nothing).
 */
const IGNORED_PARAMS = new Set([
  'connection_limit',
  'pool_timeout',
  'pgbouncer',
  'statement_cache_size',
  'max_connection_lifetime',
  'max_idle_connection_lifetime',
]);

/**
 * The engine runs every query on ONE session, like the native engine does: the advisory lock
 * Prisma takes during `migrate deploy` / `migrate dev` (pg_advisory_lock(72707369)) belongs to a
 * session, so it only protects the migration if all statements run on the session that holds it,
 * and that session must not be closed for being idle halfway through.
 */
const SINGLE_SESSION = { max: 1, idleTimeoutMillis: 0 };

/**
 * pg client used by the engine's pools. adapter-pg refuses columns of type `"char"` (OID 18) and,
 * in some versions, `name` (OID 19), which the engine's catalog queries return. Both are plain
 * strings in text format, so the result metadata is rewritten to `text` (OID 25). This only
 * affects the engine process, never the application's own adapter.
 */
class CatalogFriendlyClient extends pg.Client {
  query(config, values, callback) {
    if (typeof values === 'function') {
      callback = values;
      values = undefined;
    }
    if (typeof callback === 'function') {
      return super.query(config, values, (err, res) => callback(err, err ? res : retypeCatalogColumns(res)));
    }
    const result = super.query(config, values);
    return result && typeof result.then === 'function' ? result.then(retypeCatalogColumns) : result;
  }
}

const TEXT_OID = 25;
const CATALOG_TEXT_OIDS = new Set([18, 19]);

function retypeCatalogColumns(res) {
  for (const r of Array.isArray(res) ? res : [res]) {
    for (const field of r?.fields ?? []) {
      if (CATALOG_TEXT_OIDS.has(field.dataTypeID)) field.dataTypeID = TEXT_OID;
    }
  }
  return res;
}

/**
 * Parse a postgres:// or postgresql:// URL the way Prisma documents it.
 * @param {string} url
 * @param {{ baseDir?: string }} [options] baseDir resolves relative certificate paths.
 */
export function parseConnectionUrl(url, { baseDir = process.cwd() } = {}) {
  let parsed;
  try {
    parsed = new URL(url);
  } catch {
    throw new ShimError('P1013', 'The provided database string is invalid. The URL could not be parsed.');
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
    throw new ShimError(
      'P1013',
      `The provided database string is invalid. The schema engine shim only supports postgresql:// URLs, got \`${parsed.protocol}//\`.`,
    );
  }
  const params = Object.fromEntries(parsed.searchParams.entries());
  const database = decodeURIComponent(parsed.pathname.replace(/^\//, '')) || 'postgres';
  const user = decodeURIComponent(parsed.username) || undefined;
  // `?host=/var/run/postgresql` selects a unix socket directory, as in Prisma and libpq.
  const host = params.host || decodeURIComponent(parsed.hostname).replace(/^\[(.*)\]$/, '$1') || 'localhost';
  const port = parsed.port ? Number(parsed.port) : params.port ? Number(params.port) : 5432;
  const schema = params.schema || undefined;

  /** @type {import('pg').ClientConfig} */
  const config = {
    host,
    port,
    user,
    password: parsed.password ? decodeURIComponent(parsed.password) : undefined,
    database,
    ssl: sslOptions(params, baseDir),
    // Prisma's default connect_timeout is 5 s; 0 means "no timeout", which is pg's 0 too.
    connectionTimeoutMillis: params.connect_timeout !== undefined ? Number(params.connect_timeout) * 1000 : 5000,
  };
  if (params.socket_timeout) config.query_timeout = Number(params.socket_timeout) * 1000;
  if (params.application_name) config.application_name = params.application_name;

  // Generated migrations use unqualified table names; the native engine runs them with
  // search_path set to the URL's schema, and so does the shim.
  const startupOptions = [params.options, schema ? `-c search_path=${escapeOption(quoteIdent(schema))}` : undefined];
  const options = startupOptions.filter(Boolean).join(' ');
  if (options) config.options = options;

  const unknown = Object.keys(params).filter((k) => !KNOWN_PARAMS.has(k) && !IGNORED_PARAMS.has(k));
  return {
    config,
    schema,
    database,
    host,
    port,
    user,
    sslmode: params.sslmode ?? 'prefer',
    unknownParams: unknown,
    /** Same server and credentials, another database (shadow databases, CREATE DATABASE). */
    withDatabase(name) {
      return { ...config, database: name };
    },
  };
}

const KNOWN_PARAMS = new Set([
  'schema',
  'host',
  'port',
  'sslmode',
  'sslaccept',
  'sslcert',
  'sslkey',
  'sslrootcert',
  'sslidentity',
  'sslpassword',
  'connect_timeout',
  'socket_timeout',
  'application_name',
  'options',
]);

/**
 * TLS settings with Prisma's meaning of the URL parameters:
 * - sslmode: disable | prefer (default: TLS if the server offers it) | require; libpq's
 *   verify-ca / verify-full and pg's no-verify are accepted too.
 * - sslaccept: accept_invalid_certs (Prisma's default) | strict (verify the certificate chain).
 * - sslcert: the server's CA certificate (Prisma meaning); with sslkey it is a client certificate.
 * - sslrootcert (libpq): CA certificate. sslidentity + sslpassword: PKCS#12 client identity.
 * Returns false (no TLS) or node:tls options. For `prefer`, settleTls() below falls back to a
 * plain connection when the server has no TLS.
 */
function sslOptions(params, baseDir) {
  const mode = params.sslmode ?? 'prefer';
  if (mode === 'disable' || mode === 'allow') return false;
  const read = (file) => readFileSync(path.resolve(baseDir, file));
  const strict = params.sslaccept === 'strict' || mode === 'verify-ca' || mode === 'verify-full';
  /** @type {import('node:tls').ConnectionOptions} */
  const tls = { rejectUnauthorized: strict };
  if (mode === 'verify-ca') tls.checkServerIdentity = () => undefined;
  if (params.sslrootcert) tls.ca = read(params.sslrootcert);
  if (params.sslcert && params.sslkey) {
    tls.cert = read(params.sslcert);
    tls.key = read(params.sslkey);
  } else if (params.sslcert) {
    tls.ca = read(params.sslcert);
  }
  if (params.sslidentity) {
    tls.pfx = read(params.sslidentity);
    if (params.sslpassword) tls.passphrase = params.sslpassword;
  }
  return tls;
}

/**
 * Decide once per process whether `sslmode=prefer` ends up with TLS: try TLS, and use a plain
 * connection only if the server says it does not support TLS (what libpq and Prisma do).
 * @param {ReturnType<typeof parseConnectionUrl>} conn
 * @returns {Promise<import('pg').ClientConfig>}
 */
export async function settleTls(conn, database = conn.database) {
  const config = conn.withDatabase(database);
  if (conn.sslmode !== 'prefer' || conn.tlsSettled) return { ...config, ssl: conn.config.ssl };
  const probe = new pg.Client(config);
  try {
    await probe.connect();
  } catch (err) {
    if (/does not support SSL/i.test(String(err?.message))) {
      conn.config.ssl = false;
    } else {
      // Any other error (auth, missing database...) is the caller's to report; TLS works.
      conn.tlsSettled = true;
      return { ...config, ssl: conn.config.ssl };
    }
  } finally {
    await probe.end().catch(() => {});
  }
  conn.tlsSettled = true;
  return { ...config, ssl: conn.config.ssl };
}

/** Pool settings for the engine: one session, catalog-friendly result types. */
export function enginePoolConfig(clientConfig) {
  return { ...clientConfig, ...SINGLE_SESSION, Client: CatalogFriendlyClient };
}

/**
 * Open a single pg client, turning connection failures into Prisma errors (P1000, P1001, P1003...).
 * @param {ReturnType<typeof parseConnectionUrl>} conn
 * @param {string} [database]
 */
export async function connectClient(conn, database = conn.database) {
  const config = await settleTls(conn, database);
  const client = new pg.Client(config);
  // An idle client that loses its server emits 'error'; without a listener Node would crash.
  client.on('error', () => {});
  try {
    await client.connect();
  } catch (err) {
    await client.end().catch(() => {});
    throw knownConnectionError(err, { ...conn, database }) ?? err;
  }
  return client;
}

/**
 * A client for CREATE DATABASE when the URL's database does not exist yet: connected to the
 * `postgres` maintenance database, else `template1`, else (last resort) the URL's database.
 */
export async function connectAdminClient(conn) {
  let firstError;
  for (const database of ['postgres', 'template1', conn.database]) {
    try {
      return await connectClient(conn, database);
    } catch (err) {
      firstError ??= err;
      // Only a missing/forbidden maintenance database is worth another try.
      if (!(err instanceof ShimError) || !['P1003', 'P1010'].includes(err.code)) throw err;
    }
  }
  throw firstError;
}

export function quoteIdent(name) {
  return `"${String(name).replaceAll('"', '""')}"`;
}

/** libpq `options` values separate arguments by spaces; a backslash escapes one. */
function escapeOption(value) {
  return value.replace(/[\\ ]/g, (c) => `\\${c}`);
}
