#!/usr/bin/env node
// `npm run web:size` (and the end of `npm run test:web`): the size of the built web app's JS
// entry, raw and gzipped (level 9, as nginx and @fastify/compress would send it at best), plus
// everything index.html makes the browser fetch before the first render (the entry, the chunks
// it preloads, the stylesheets). The README quotes these numbers.
//   node tools/web-size.mjs [web/dist]      --json: one JSON object instead of the lines
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';

const args = process.argv.slice(2);
const json = args.includes('--json');
const dist = path.resolve(args.find((a) => !a.startsWith('--')) ?? 'web/dist');

let html;
try {
  html = readFileSync(path.join(dist, 'index.html'), 'utf8');
} catch {
  console.error(`web-size: no ${path.join(dist, 'index.html')}: build the web app first (npm run build)`);
  process.exit(1);
}

const attr = (tag, name) => new RegExp(`\\s${name}="([^"]+)"`).exec(tag)?.[1];
const tags = html.match(/<(script|link)\b[^>]*>/g) ?? [];
const entry = tags
  .map((t) => (/^<script\b/.test(t) && /type="module"/.test(t) ? attr(t, 'src') : undefined))
  .find(Boolean);
if (!entry) {
  console.error('web-size: index.html has no <script type="module" src=...> entry');
  process.exit(1);
}
const preloaded = tags
  .filter((t) => /^<link\b/.test(t) && /rel="(modulepreload|stylesheet)"/.test(t))
  .map((t) => attr(t, 'href'))
  .filter(Boolean);

const measure = (url) => {
  const bytes = readFileSync(path.join(dist, url.replace(/^\//, '')));
  return { file: url, bytes: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length };
};
const first = measure(entry);
const initial = [first, ...preloaded.map(measure)];
const sum = (key) => initial.reduce((total, f) => total + f[key], 0);
const kb = (n) => `${(n / 1024).toFixed(1)} kB`;

if (json) {
  console.log(
    JSON.stringify({ entry: first, initial: { files: initial.length, bytes: sum('bytes'), gzip: sum('gzip') } }),
  );
} else {
  console.log(`web-size: entry ${first.file}: ${kb(first.bytes)}, ${kb(first.gzip)} gzipped`);
  console.log(
    `web-size: before first render (entry + ${preloaded.length} preloaded chunks/styles): ${kb(sum('bytes'))}, ${kb(sum('gzip'))} gzipped`,
  );
}
