// Turns what the wasm engine (or the shim) threw into the JSON-RPC error the native engine would
// send: `{ code: 4466, message, data: { is_panic, message, error_code?, meta } }`. With an
// error_code the CLI prints "Error: P3018\n\n<message>" and scripts can rely on the code.
//
// The wasm engine rejects with a plain Error (named e.g. "SchemaConnectorError") whose message is
// the user-facing text but which carries no Prisma error code, so the common codes are restored
// here from the message.

import { ShimError, knownConnectionError } from './errors.mjs';
import { takeLastScriptError } from './pg-adapter.mjs';

/** Messages of the wasm engine, and the code the native engine gives the same error. */
const KNOWN_MIGRATE_ERRORS = [
  [/^The database schema is not empty/, 'P3005'],
  [/failed to apply cleanly to the shadow database/, 'P3006'],
  [/is already recorded as applied in the database/, 'P3008'],
  [/^migrate found failed migrations in the target database/, 'P3009'],
  [/cannot be rolled back because it was never applied/, 'P3011'],
  [/cannot be rolled back because it is not in a failed state/, 'P3012'],
];

/**
 * @param {{ main?: ReturnType<import('./connection.mjs').parseConnectionUrl>,
 *           jsError: (message: string) => unknown }} context
 *   main: the datasource, to word connection errors; jsError: the original of an
 *   "External error id#N" (an exception thrown by the shim's adapter code).
 */
export function createErrorTranslator({ main, jsError }) {
  return function toRpcError(thrown) {
    if (thrown?.rpcCode) return { code: thrown.rpcCode, message: thrown.message };
    const err = jsError(String(thrown?.message)) ?? thrown;
    const { code, message, meta, isPanic } = describe(err, main);
    return {
      code: 4466,
      message: 'An error happened. Check the data field for details.',
      data: { is_panic: isPanic, message, ...(code ? { error_code: code } : {}), meta: meta ?? {} },
    };
  };
}

function describe(err, main) {
  if (err instanceof ShimError) return { code: err.code, message: err.message, meta: err.meta, isPanic: false };
  const message = String(err?.message ?? err);
  const isPanic = err instanceof WebAssembly.RuntimeError || /panicked at|unreachable/.test(message);

  // A migration script failed on the main database: the native engine's P3018, with the
  // PostgreSQL error the adapter saw (the engine's own text loses the SQLSTATE).
  const failedMigration = /apply_migration::apply_script\s+with migration_name="([^"]+)"/.exec(message)?.[1];
  const scriptError = takeLastScriptError();
  if (failedMigration && !/shadow database/i.test(message)) {
    const meta = {
      migration_name: failedMigration,
      database_error_code: scriptError?.code ?? 'none',
      database_error: scriptError ? formatPgError(scriptError) : message.split('\n   0: ')[0],
    };
    return {
      code: 'P3018',
      message:
        'A migration failed to apply. New migrations cannot be applied before the error is recovered from. ' +
        'Read more about how to resolve migration issues in a production database: https://pris.ly/d/migrate-resolve\n\n' +
        `Migration name: ${meta.migration_name}\n\nDatabase error code: ${meta.database_error_code}\n\n` +
        `Database error:\n${meta.database_error}\n`,
      meta,
      isPanic: false,
    };
  }

  const known = KNOWN_MIGRATE_ERRORS.find(([pattern]) => pattern.test(message));
  if (known) return { code: known[1], message, meta: {}, isPanic: false };

  const connection = main && connectionProblem(message, main);
  if (connection) return { code: connection.code, message: connection.message, meta: connection.meta, isPanic: false };

  return { code: undefined, message, meta: {}, isPanic };
}

/** Connection failures inside a request reach us as adapter error kinds or engine messages. */
function connectionProblem(message, main) {
  if (/DatabaseNotReachable|ECONNREFUSED|Can't reach database/i.test(message)) {
    return knownConnectionError({ code: 'ECONNREFUSED' }, main);
  }
  if (/AuthenticationFailed|password authentication failed/i.test(message)) {
    return knownConnectionError({ code: '28P01' }, main);
  }
  if (/DatabaseDoesNotExist|database ".*" does not exist|Database `.*` does not exist/i.test(message)) {
    return knownConnectionError({ code: '3D000' }, main);
  }
  return undefined;
}

function formatPgError(err) {
  return [`ERROR: ${err.message}`, err.detail && `DETAIL: ${err.detail}`, err.hint && `HINT: ${err.hint}`]
    .filter(Boolean)
    .join('\n');
}
