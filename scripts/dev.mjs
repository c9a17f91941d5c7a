#!/usr/bin/env node
// `npm run dev`: the whole local stack in one terminal, each part reloading when its code
// changes: the api and the worker (a web app becomes one more entry of PARTS), their output
// prefixed with their name. It first checks that PostgreSQL and Redis answer
// (scripts/dev-preflight.mjs) and says how to start them if not. Ctrl-C stops every part
// gracefully: in-flight requests and running jobs finish.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { concurrently } from 'concurrently';
import { preflight } from './dev-preflight.mjs';

const projectDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { scripts } = JSON.parse(readFileSync(path.join(projectDir, 'package.json'), 'utf8'));

/** The npm scripts that make up the stack; each also runs alone (`npm run dev:api`). */
const PARTS = [
  { name: 'api', script: 'dev:api', prefixColor: 'cyan' },
  { name: 'worker', script: 'dev:worker', prefixColor: 'magenta' },
];

if (!(await preflight())) process.exit(1);

// The scripts' own command lines, not `npm run`: npm would be one more process between the
// terminal's Ctrl-C and the part (and it exits before the part has stopped). `exec`: the shell
// becomes the watcher, so the exit code is the part's.
const bin = path.join(projectDir, 'node_modules', '.bin');
const { result } = concurrently(
  PARTS.map(({ name, script, prefixColor }) => ({
    name,
    prefixColor,
    command: `exec ${scripts[script]}`,
    cwd: projectDir,
    env: { PATH: `${bin}${path.delimiter}${process.env.PATH ?? ''}` },
  })),
  { prefix: '[{name}]', padPrefix: true },
);
// Ctrl-C counts as success; a part that could not even start its watcher does not.
process.exit(
  await result.then(
    () => 0,
    () => 1,
  ),
);
