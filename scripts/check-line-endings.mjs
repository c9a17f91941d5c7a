#!/usr/bin/env node
// Static check (scripts/static-checks.sh): no CR in any text file .gitattributes pins to LF, and
// the files the containers execute or read are covered by such a rule. A CRLF checkout (Git for
// Windows without .gitattributes) breaks scripts/docker-migrate.sh (`set: Illegal option -`) and
// nginx's certificate hook (exit 127). Also: that hook must stay executable (mode 100755), or the
// nginx image's entrypoint skips it and nginx starts without a certificate.
import { execFileSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';

const git = (args, input) => execFileSync('git', args, { encoding: 'utf8', input, maxBuffer: 64 * 1024 * 1024 });

// Files the containers run or read straight from the checkout or the build context.
const mustBeLf = [
  'Dockerfile',
  'docker-compose.yml',
  '.dockerignore',
  'scripts/docker-migrate.sh',
  'tools/prisma-offline/prisma.mjs',
  'nginx/nginx.conf',
  'nginx/scripts/make-self-signed-cert.sh',
  'nginx/conf.d/api.conf',
  'nginx/snippets/proxy.conf',
  'tools/compose-smoke/nginx-entrypoint.sh',
  'tools/compose-smoke/postgres-entrypoint.sh',
  'tools/compose-smoke/redis-entrypoint.sh',
];
const executable = ['nginx/scripts/make-self-signed-cert.sh', 'scripts/docker-migrate.sh'];

const problems = [];
let files;
try {
  // Tracked files and new ones not ignored: what a commit would carry.
  files = git(['ls-files', '-z', '--cached', '--others', '--exclude-standard']).split('\0').filter(Boolean);
} catch (err) {
  console.error(`line endings: needs a git checkout (${err.message.split('\n')[0]})`);
  process.exit(1);
}
files = [...new Set(files)].filter((file) => {
  try {
    return statSync(file).isFile();
  } catch {
    return false; // deleted in the work tree, not yet staged
  }
});

// `git check-attr -z` prints path NUL attribute NUL value NUL, three fields per answer.
function attributes(paths, names) {
  const out = git(['check-attr', '-z', '--stdin', ...names], paths.join('\0')).split('\0');
  const result = new Map();
  for (let i = 0; i + 2 < out.length; i += 3) {
    const [file, name, value] = out.slice(i, i + 3);
    if (!result.has(file)) result.set(file, {});
    result.get(file)[name] = value;
  }
  return result;
}

const attrs = attributes(files, ['text', 'eol', 'binary']);
let checked = 0;
for (const file of files) {
  const a = attrs.get(file) ?? {};
  if (a.eol !== 'lf' || a.binary === 'set' || a.text === 'unset') continue;
  const content = readFileSync(file);
  // Git's own binary test for text=auto: a NUL byte in the first 8000 bytes.
  if (a.text === 'auto' && content.subarray(0, 8000).includes(0)) continue;
  checked++;
  const cr = content.indexOf(13);
  if (cr !== -1) {
    const line = content.subarray(0, cr).toString('utf8').split('\n').length;
    problems.push(`${file}:${line}: carriage return (CRLF line ending) in a file pinned to LF by .gitattributes`);
  }
}

const pinned = attributes(mustBeLf, ['eol']);
for (const file of mustBeLf) {
  if (pinned.get(file)?.eol !== 'lf') problems.push(`${file}: not pinned to eol=lf by .gitattributes`);
}
for (const file of executable) {
  const mode = git(['ls-files', '-s', '--', file]).split(' ')[0];
  if (mode && mode !== '100755') problems.push(`${file}: git mode ${mode}, must be 100755 (executable)`);
  else if (!mode && !(statSync(file).mode & 0o111)) problems.push(`${file}: not executable`);
}

if (problems.length > 0) {
  for (const problem of problems) console.error(`line endings: ${problem}`);
  process.exit(1);
}
console.log(
  `line endings: ${checked} text files LF only; ${mustBeLf.length} container files pinned to eol=lf; ${executable.join(', ')} executable`,
);
