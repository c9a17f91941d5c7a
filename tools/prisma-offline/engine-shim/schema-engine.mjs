#!/usr/bin/env node
// Stand-in for Prisma's native `schema-engine` binary, built on @prisma/schema-engine-wasm.
// The Prisma CLI runs it when PRISMA_SCHEMA_ENGINE_BINARY points here; ../prisma.mjs sets that
// only when the native engine is not installed. Protocol, support and caveats: ../README.md.
//
//   schema-engine.mjs --version
//   schema-engine.mjs --datasource '<json>' cli can-connect-to-database | create-database
//   schema-engine.mjs [--datamodels <path>]... [--datasource '<json>']   (JSON-RPC on stdin/stdout)

import path from 'node:path';

import { runCliCommand } from './cli-commands.mjs';
import { runEngineSession } from './engine-session.mjs';
import { EXIT_ERROR, ShimError, logLine } from './errors.mjs';
import { disposeAll } from './pg-adapter.mjs';
import { wasmEngineVersion } from './wasm-engine.mjs';

const log = (line) => process.stderr.write(`${line}\n`);

// The CLI ends the engine with SIGTERM as soon as it has closed stdin, and Ctrl-C may interrupt a
// command while a temporary shadow database exists: drop what is still open, then leave quietly.
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.once(signal, () => {
    setTimeout(() => process.exit(0), 10_000).unref(); // never outlive the CLI for long
    disposeAll().finally(() => process.exit(0));
  });
}

try {
  const args = parseArgs(process.argv.slice(2));
  if (args.version) {
    process.stdout.write(`schema-engine-cli ${await wasmEngineVersion()} (wasm shim)\n`);
  } else if (args.cli) {
    await runCliCommand(args);
  } else {
    await runEngineSession(args, log);
  }
  // Exit explicitly: pg pools and the wasm runtime would keep Node alive, and the CLI waits.
  process.exit(0);
} catch (err) {
  // As the native engine reports: the CLI skips the first stderr line and reads error_code and
  // message from the JSON ERROR line after it.
  log('schema-engine shim failed');
  const known = err instanceof ShimError && err.code ? { error_code: err.code } : {};
  log(logLine('ERROR', err instanceof ShimError ? err.message : String(err?.stack ?? err), known));
  await disposeAll().catch(() => {});
  process.exit(EXIT_ERROR);
}

function parseArgs(argv) {
  const parsed = { datamodels: [], datasource: undefined, cli: undefined, version: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    switch (arg) {
      case '--version':
      case '-V':
        parsed.version = true;
        break;
      case '--datamodels':
      case '-d':
        parsed.datamodels.push(path.resolve(argv[++i]));
        break;
      case '--datasource':
        parsed.datasource = JSON.parse(argv[++i]);
        break;
      case '--enabled-preview-features':
      case '--extension-types':
        // The wasm engine takes neither; migrations of this project depend on no preview
        // feature, and Prisma extensions are not supported by the shim.
        i++;
        break;
      case 'cli':
        parsed.cli = argv[++i];
        break;
      default:
        throw new ShimError(undefined, `schema engine shim: unknown argument ${arg}`);
    }
  }
  return parsed;
}
