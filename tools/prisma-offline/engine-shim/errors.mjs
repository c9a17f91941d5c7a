// Errors in the shapes the Prisma CLI expects from its schema engine binary.
//
// - `cli ...` commands: a non-zero exit and JSON log lines on stderr; the CLI ignores the first
//   stderr line and reads `fields.error_code` / `fields.message` of the ERROR line.
// - JSON-RPC: `{ code: 4466, message, data: { is_panic, message, error_code, meta } }`; with an
//   `error_code` the CLI prints "<code>\n\n<message>" and exits non-zero.

/** An error that carries a Prisma error code (P1001, P3014...), or none for a plain message. */
export class ShimError extends Error {
  /** @param {string | undefined} code @param {string} message @param {object} [meta] */
  constructor(code, message, meta = {}) {
    super(message);
    this.name = 'ShimError';
    this.code = code;
    this.meta = meta;
  }
}

/** One stderr line in the native engine's tracing format. */
export function logLine(level, message, fields = {}) {
  return JSON.stringify({
    timestamp: new Date().toISOString(),
    level,
    fields: { message, ...fields },
    target: 'schema_engine::logger',
  });
}

const SOCKET_UNREACHABLE = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ENOENT']);

/**
 * Map a node-postgres connection error to the Prisma error the native engine would report.
 * Returns undefined for anything that is not a recognised connection problem.
 * @param {any} err
 * @param {{ host: string, port: number, user?: string, database: string }} target
 */
export function knownConnectionError(err, { host, port, user, database }) {
  if (!err || typeof err !== 'object') return undefined;
  if (err instanceof ShimError) return err;
  const at = `${host}:${port}`;
  const meta = { database_host: host, database_port: port, database_user: user, database_name: database };
  const authenticationFailed = () =>
    new ShimError(
      'P1000',
      `Authentication failed against database server at \`${host}\`, the provided database credentials for \`${user}\` are not valid.\n\nPlease make sure to provide valid database credentials for the database server at \`${host}\`.`,
      meta,
    );
  switch (err.code) {
    case '3D000':
      return new ShimError(
        'P1003',
        `Database \`${database}\` does not exist on the database server at \`${at}\`.`,
        meta,
      );
    case '28P01':
      return authenticationFailed();
    case '28000':
    case '42501':
      // "role ... does not exist" is a credentials problem, like a wrong password; the rest
      // (pg_hba.conf rejection, no CONNECT privilege) is a denied access.
      if (/role .* does not exist/.test(String(err.message))) return authenticationFailed();
      return new ShimError(
        'P1010',
        `User \`${user}\` was denied access on the database \`${database}\` (${err.message}).`,
        meta,
      );
    case '53300':
      return new ShimError('P1001', `Can't reach database server at \`${at}\`: ${err.message}`, meta);
    default:
      break;
  }
  if (
    SOCKET_UNREACHABLE.has(err.code) ||
    /timeout|timed out|Connection terminated unexpectedly/i.test(String(err.message))
  ) {
    return new ShimError(
      'P1001',
      `Can't reach database server at \`${at}\`\n\nPlease make sure your database server is running at \`${at}\`.`,
      meta,
    );
  }
  if (
    /SSL|TLS|certificate|self[- ]signed/i.test(String(err.message)) ||
    String(err.code).startsWith('ERR_TLS') ||
    /CERT|SELF_SIGNED/.test(String(err.code))
  ) {
    return new ShimError('P1011', `Error opening a TLS connection: ${err.message}`, meta);
  }
  return undefined;
}

/** Exit code the native engine uses for "error", which the CLI reports with the stderr lines. */
export const EXIT_ERROR = 1;
