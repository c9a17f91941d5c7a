#!/usr/bin/env node
// Runs the Prisma CLI: `node tools/prisma-offline/prisma.mjs <prisma args>`, used by every npm
// script that needs it. Prisma's migrate/db commands need its native schema engine, a binary that
// `npm install` downloads from binaries.prisma.sh. Where that download failed (no internet,
// locked-down CI) this wrapper points the CLI at engine-shim/schema-engine.mjs, an engine built on
// the wasm schema engine from npm. Everywhere else the CLI runs exactly as `npx prisma` would.
// Optional: README.md says how to drop it and call `prisma` directly.

import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const projectDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const require = createRequire(path.join(projectDir, 'package.json'));
const shimPath = path.join(projectDir, 'tools', 'prisma-offline', 'engine-shim', 'schema-engine.mjs');

const prismaDir = path.dirname(require.resolve('prisma/package.json'));
const prismaCli = path.join(prismaDir, 'build', 'index.js');

const env = { ...process.env };
const configured = env.PRISMA_SCHEMA_ENGINE_BINARY || env.PRISMA_MIGRATION_ENGINE_BINARY;

if (!configured && !findNativeEngine()) {
  env.PRISMA_SCHEMA_ENGINE_BINARY = shimPath;
  process.stderr.write(
    'prisma: native schema engine not installed; using the wasm engine shim (tools/prisma-offline/README.md)\n',
  );
}

const child = spawn(process.execPath, [prismaCli, ...process.argv.slice(2)], { stdio: 'inherit', env });
// Ctrl-C reaches the CLI directly (same process group); only pass on a TERM sent to us alone.
process.on('SIGINT', () => {});
process.on('SIGTERM', () => child.kill('SIGTERM'));
child.on('exit', (code, signal) => {
  if (signal) {
    process.removeAllListeners(signal);
    process.kill(process.pid, signal);
  } else {
    process.exit(code ?? 1);
  }
});

/**
 * The CLI looks for `schema-engine-<binary target>` in @prisma/engines, next to the prisma package
 * and in node_modules (`ug()` in prisma/build/cli.js), and downloads it again unless its
 * `--version` names the engines hash this prisma version expects. So a file counts only if it runs
 * here and is that version: a binary for another platform, a truncated download or a leftover of
 * an older prisma must not hide the shim.
 */
function findNativeEngine() {
  const dirs = [prismaDir, path.dirname(prismaDir), path.join(prismaDir, 'runtime')];
  let expectedHash;
  try {
    const enginesDir = path.dirname(require.resolve('@prisma/engines/package.json'));
    dirs.unshift(enginesDir);
    expectedHash = createRequire(path.join(enginesDir, 'package.json'))('@prisma/engines-version').enginesVersion;
  } catch {
    // @prisma/engines is prisma's own dependency; without it, accept any working binary.
  }
  for (const dir of dirs) {
    if (!existsSync(dir)) continue;
    for (const name of readdirSync(dir)) {
      if (!/^schema-engine-[\w.-]+$/.test(name) || /\.(gz|sha256|sig|tmp)$/.test(name)) continue;
      const file = path.join(dir, name);
      if (!statSync(file).isFile()) continue;
      const probe = spawnSync(file, ['--version'], { encoding: 'utf8', timeout: 10_000 });
      if (probe.status === 0 && (!expectedHash || probe.stdout.includes(expectedHash))) return file;
    }
  }
  return undefined;
}
