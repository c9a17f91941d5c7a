#!/usr/bin/env node
// `npm run dev`: the whole local stack in one terminal, each part reloading when its code
// changes: the api, the worker and the web app's Vite dev server (which proxies /api, /ws and
// /docs to the api, web/vite.config.ts), their output prefixed with their name, and ONE line
// saying which URL to open once the app answers. It first checks that PostgreSQL and Redis answer
// (scripts/dev-preflight.mjs) and says how to start them if not. Ctrl-C stops every part
// gracefully: in-flight requests and running jobs finish.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { concurrently } from 'concurrently';
import { preflight } from './dev-preflight.mjs';

const projectDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const readScripts = (dir) => JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')).scripts;
const webDir = path.join(projectDir, 'web');
/** Where Vite listens (WEB_DEV_PORT, 5173 by default): the URL to open. */
const webPort = Number(process.env.WEB_DEV_PORT ?? 5173);

/** The npm scripts that make up the stack; each also runs alone (`npm run dev:api`, `npm run dev -w web`). */
const PARTS = [
  { name: 'api', dir: projectDir, script: 'dev:api', prefixColor: 'cyan' },
  { name: 'worker', dir: projectDir, script: 'dev:worker', prefixColor: 'magenta' },
  // Vite's own banner is info-level and it clears the terminal: both off, the line below says
  // where to go. --strictPort: a busy port is an error, not a different URL than announced.
  {
    name: 'web',
    dir: webDir,
    script: 'dev',
    args: `--host 127.0.0.1 --port ${webPort} --strictPort --clearScreen false --logLevel warn`,
    prefixColor: 'green',
  },
].filter((part) => existsSync(path.join(part.dir, 'package.json')));

if (!(await preflight())) process.exit(1);

// The scripts' own command lines, not `npm run`: npm would be one more process between the
// terminal's Ctrl-C and the part (and it exits before the part has stopped). `exec`: the shell
// becomes the watcher, so the exit code is the part's.
const bin = (dir) => path.join(dir, 'node_modules', '.bin');
const { result } = concurrently(
  PARTS.map(({ name, dir, script, args, prefixColor }) => ({
    name,
    prefixColor,
    command: `exec ${readScripts(dir)[script]}${args ? ` ${args}` : ''}`,
    cwd: dir,
    env: { PATH: [bin(dir), bin(projectDir), process.env.PATH ?? ''].join(path.delimiter) },
  })),
  { prefix: '[{name}]', padPrefix: true },
);

// The one line to read, printed once the api answers through the URL announced (Vite's proxy
// when there is a web app), so the page opened there works at once.
const hasWeb = PARTS.some((part) => part.name === 'web');
const openUrl = hasWeb ? `http://127.0.0.1:${webPort}` : `http://127.0.0.1:${process.env.PORT ?? 3000}`;
void (async () => {
  for (let attempt = 0; attempt < 600; attempt += 1) {
    try {
      if ((await fetch(`${openUrl}/api/v1/info`, { signal: AbortSignal.timeout(1000) })).ok) {
        console.log(
          `\n  ➜ open ${openUrl}${hasWeb ? ' (the web app; it proxies /api, /ws and /docs to the api)' : ''}\n`,
        );
        return;
      }
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 500).unref());
  }
})();
// Ctrl-C counts as success; a part that could not even start its watcher does not.
process.exit(
  await result.then(
    () => 0,
    () => 1,
  ),
);
