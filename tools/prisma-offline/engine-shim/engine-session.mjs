// The JSON-RPC mode: one wasm SchemaEngine serving the CLI's requests until it closes stdin.
// Most methods map 1:1 onto the wasm engine; the others are adapted here.

import { readFile } from 'node:fs/promises';
import path from 'node:path';

import { createDatabase, requireUrl } from './cli-commands.mjs';
import { parseConnectionUrl } from './connection.mjs';
import { logLine } from './errors.mjs';
import { serveJsonRpc } from './json-rpc.mjs';
import { createAdapterFactory, disposeAll, takeLastScriptError } from './pg-adapter.mjs';
import { createErrorTranslator } from './rpc-errors.mjs';
import { bindAdapterFactory, createSchemaEngine } from './wasm-engine.mjs';

/** Methods the wasm engine has with the same name, parameters and result. */
const PASS_THROUGH = new Set([
  'applyMigrations',
  'dbExecute',
  'debugPanic',
  'devDiagnostic',
  'diagnoseMigrationHistory',
  'ensureConnectionValidity',
  'introspect',
  'introspectSql',
  'markMigrationApplied',
  'markMigrationRolledBack',
  'reset',
  'schemaPush',
]);

/**
 * @param {{ datamodels: string[], datasource?: { url?: string, shadowDatabaseUrl?: string } }} args
 * @param {(line: string) => void} log writes one line to stderr
 */
export async function runEngineSession({ datamodels, datasource }, log) {
  // Relative certificate paths (sslcert=...) are resolved next to the schema, as Prisma does.
  const baseDir = datamodels.length ? path.dirname(datamodels[0]) : process.cwd();
  const main = datasource?.url ? parseConnectionUrl(datasource.url, { baseDir }) : undefined;
  const shadow = datasource?.shadowDatabaseUrl
    ? parseConnectionUrl(datasource.shadowDatabaseUrl, { baseDir })
    : undefined;
  for (const conn of [main, shadow]) {
    if (conn?.unknownParams.length) {
      log(
        logLine('WARN', `schema engine shim: ignoring unsupported URL parameter(s): ${conn.unknownParams.join(', ')}`),
      );
    }
  }

  const { boundFactory, jsError } = bindAdapterFactory(createAdapterFactory({ main, shadow }));
  // If the engine cannot start (it connects right away), every request is answered with that
  // error. Exiting instead would be worse: the CLI never gets an answer to a request it sends to
  // an engine that is gone, and then ends with status 0 and no message.
  const started = (async () =>
    createSchemaEngine({
      datamodels: await Promise.all(datamodels.map(async (file) => [file, await readFile(file, 'utf8')])),
      boundFactory,
      log,
    }))();
  started.catch(() => {}); // reported per request

  await serveJsonRpc({
    toRpcError: createErrorTranslator({ main, jsError }),
    async handle(method, params, { print }) {
      takeLastScriptError(); // forget script failures of earlier requests
      const engine = await started;
      if (PASS_THROUGH.has(method)) return engine[method](params);
      switch (method) {
        case 'evaluateDataLoss':
        case 'createMigration':
          return withMigrationSchema(engine, method, params);
        case 'diff': {
          // The CLI prints only what the engine sends it in `print` requests; the wasm engine
          // returns the text instead. Forward it, and answer like the native engine.
          const { exitCode, stdout } = await engine.diff(params);
          if (stdout) print(stdout);
          return { exitCode };
        }
        case 'getDatabaseVersion':
          return engine.version(params ?? undefined);
        case 'createDatabase': {
          const url = params?.datasource?.url ?? datasource?.url;
          return { databaseName: await createDatabase(parseConnectionUrl(requireUrl({ url }))) };
        }
        default:
          throw Object.assign(new Error(`The schema engine shim does not support the method \`${method}\`.`), {
            rpcCode: -32601,
          });
      }
    },
  });
  await disposeAll();
}

/**
 * evaluateDataLoss and createMigration need the schema the migrations folder produces. The wasm
 * engine takes it from a per-process cache that devDiagnostic fills (replaying the migrations on a
 * shadow database); on a cache miss it does not use the shadow database factory but fails with
 * "PostgreSQL shadow DB must be provided through an external factory". `migrate dev` runs into
 * this whenever it first applied pending migrations (it then calls evaluateDataLoss and
 * createMigration without another devDiagnostic). Fill the cache, then retry once.
 */
async function withMigrationSchema(engine, method, params) {
  try {
    return await engine[method](params);
  } catch (err) {
    if (!/shadow DB must be provided through an external factory/.test(String(err?.message))) throw err;
    await engine.devDiagnostic({ migrationsList: params.migrationsList, filters: params.filters });
    return engine[method](params);
  }
}
