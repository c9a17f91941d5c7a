// Loads @prisma/schema-engine-wasm in plain Node.
//
// The package's entry does `import * as wasm from "./schema_engine_bg.wasm"`, which needs the
// WebAssembly/ESM integration Node 20 does not have. So the .wasm is instantiated here by hand with
// the import object the bindings expect, then wired up the way that entry file would do it.

import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';

import { bindMigrationAwareSqlAdapterFactory } from '@prisma/driver-adapter-utils';

const require = createRequire(import.meta.url);

let bindingsPromise;

/** The generated JS bindings (SchemaEngine class, version()), with the wasm module attached. */
export function loadBindings() {
  bindingsPromise ??= (async () => {
    const packageDir = path.dirname(require.resolve('@prisma/schema-engine-wasm'));
    const bg = await import('@prisma/schema-engine-wasm/schema_engine_bg');
    const bytes = await readFile(path.join(packageDir, 'schema_engine_bg.wasm'));
    const { instance } = await WebAssembly.instantiate(bytes, { './schema_engine_bg.js': bg });
    bg.__wbg_set_wasm(instance.exports);
    instance.exports.__wbindgen_start();
    return bg;
  })();
  return bindingsPromise;
}

/** Version of the wasm engine build, e.g. "59be4fda...". */
export async function wasmEngineVersion() {
  return (await loadBindings()).version();
}

/**
 * Bind the adapter factory for the engine. Exceptions thrown by the adapter (e.g. a ShimError from
 * the shadow database setup) reach the engine only as "External error id#N" while the binder keeps
 * the original; `jsError(message)` returns it (or undefined) so it can be reported properly.
 */
export function bindAdapterFactory(adapterFactory) {
  const boundFactory = bindMigrationAwareSqlAdapterFactory(adapterFactory);
  return {
    boundFactory,
    jsError(message) {
      const id = /External error id#(\d+)/.exec(message)?.[1];
      return id === undefined ? undefined : boundFactory.errorRegistry.consumeError(Number(id))?.error;
    },
  };
}

/**
 * @param {{ datamodels?: [string, string][], boundFactory: object, log: (line: string) => void }} options
 * @returns {Promise<import('@prisma/schema-engine-wasm').SchemaEngine>}
 */
export async function createSchemaEngine({ datamodels, boundFactory, log }) {
  const { SchemaEngine } = await loadBindings();
  return SchemaEngine.new(
    { datamodels: datamodels?.length ? datamodels : undefined },
    // The engine logs lines that are already in the native engine's JSON format.
    (line) => log(String(line).replace(/\n+$/, '')),
    boundFactory,
  );
}
