#!/usr/bin/env node
// Dockerfile lint: dockerfile-utils' validator (its CLI prints problems but always exits 0, so
// its API is used), every diagnostic fails; plus the rules this project's image promises:
// - the default (last) target `runtime` runs as a non-root USER with a HEALTHCHECK and an
//   exec-form CMD, and carries no Prisma CLI: its node_modules come from `runtime-deps`, which
//   drops the `prisma` dependency (docker-compose.yml builds it once for the api and the worker)
// - a `migrate` target (the one-shot job) with openssl, which Prisma's CLI needs to detect libssl
// - base images pinned to an exact version or a digest; npm ci, never npm install
import { readFileSync } from 'node:fs';
import { validate } from 'dockerfile-utils';
import { isPinnedImage } from './image-pins.mjs';

const file = process.argv[2] ?? 'Dockerfile';
const content = readFileSync(file, 'utf8');
const lines = content.split('\n');
const problems = validate(content, {}).map((d) => `${file}:${d.range.start.line + 1}: ${d.message}`);

// Instructions with continuation lines joined, comments dropped, grouped by stage.
const instructions = content
  .replace(/\\\r?\n/g, ' ')
  .split('\n')
  .map((line) => line.trim())
  .filter((line) => line && !line.startsWith('#'));
const args = Object.fromEntries(
  instructions
    .filter((l) => /^ARG\s+\w+=/i.test(l))
    .map((l) => l.replace(/^ARG\s+/i, '').split('='))
    .map(([k, v]) => [k, v.replace(/^"|"$/g, '')]),
);
const stages = [];
for (const line of instructions) {
  const from = /^FROM\s+(\S+)(?:\s+AS\s+(\S+))?/i.exec(line);
  if (from) stages.push({ base: from[1], name: from[2]?.toLowerCase() ?? `#${stages.length}`, lines: [] });
  else stages.at(-1)?.lines.push(line);
}
const stage = (name) => stages.find((s) => s.name === name);
const last = (s, keyword) => s?.lines.filter((line) => new RegExp(`^${keyword}\\s`, 'i').test(line)).at(-1);
const resolveBase = (base) => base.replace(/^\$\{?(\w+)\}?$/, (_, name) => args[name] ?? base);

// Every external base image (not another stage) pinned.
for (const s of stages) {
  const base = resolveBase(s.base);
  if (stage(base.toLowerCase())) continue;
  if (!isPinnedImage(base))
    problems.push(`${file}: FROM ${s.base} (${base}) is not pinned to an exact version or digest`);
}

const runtime = stages.at(-1);
if (runtime?.name !== 'runtime')
  problems.push(`${file}: the last stage (the default target) must be \`runtime\`, found ${runtime?.name}`);
for (const [name, s] of [
  ['runtime', runtime],
  ['migrate', stage('migrate')],
]) {
  if (!s) {
    problems.push(`${file}: no \`${name}\` stage`);
    continue;
  }
  const user = last(s, 'USER');
  if (!user || /^USER\s+(root|0)(:|\s|$)/i.test(user))
    problems.push(`${file}: stage ${name} must switch to a non-root USER`);
  const cmd = last(s, 'CMD');
  if (!cmd || !/^CMD\s+\[/i.test(cmd))
    problems.push(`${file}: stage ${name} needs an exec-form CMD (["node", ...]) so signals reach the process`);
}
if (runtime && !last(runtime, 'HEALTHCHECK')) problems.push(`${file}: the runtime stage has no HEALTHCHECK`);

// The runtime image: no Prisma CLI, no migrations, no openssl layer.
if (runtime) {
  const copies = runtime.lines.filter((l) => /^COPY\s/i.test(l));
  for (const copy of copies) {
    if (/node_modules/.test(copy) && !/--from=runtime-deps\b/i.test(copy))
      problems.push(
        `${file}: runtime copies node_modules from elsewhere than runtime-deps (the Prisma CLI would come along): ${copy}`,
      );
    if (/\bprisma\b|prisma\.mjs|docker-migrate/.test(copy))
      problems.push(`${file}: runtime copies migrate-only files: ${copy}`);
  }
  if (stage(resolveBase(runtime.base).toLowerCase()))
    problems.push(`${file}: runtime must start from the plain node image, not from stage ${runtime.base}`);
}
const runtimeDeps = stage('runtime-deps');
if (
  !runtimeDeps?.lines.some((l) => /npm pkg delete[^&]*dependencies\.prisma\b/.test(l) && /npm prune --omit=dev/.test(l))
) {
  problems.push(
    `${file}: stage runtime-deps must drop the prisma dependency and prune (npm pkg delete dependencies.prisma ... && npm prune --omit=dev)`,
  );
}

// openssl where the Prisma CLI runs (npm ci downloads its engine, migrate runs it).
const withOpenssl = (s, seen = new Set()) => {
  if (!s || seen.has(s.name)) return false;
  seen.add(s.name);
  if (s.lines.some((l) => /apt-get install[^&]*\bopenssl\b/.test(l))) return true;
  return withOpenssl(stage(resolveBase(s.base).toLowerCase()), seen);
};
for (const name of ['deps', 'migrate'])
  if (!withOpenssl(stage(name)))
    problems.push(`${file}: stage ${name} has no openssl (apt-get install openssl): Prisma cannot detect libssl`);
for (const s of stages) {
  for (const line of s.lines.filter((l) => /apt-get install/.test(l))) {
    if (!/--no-install-recommends/.test(line))
      problems.push(`${file}: stage ${s.name}: apt-get install without --no-install-recommends`);
    if (!/rm -rf \/var\/lib\/apt\/lists/.test(line))
      problems.push(`${file}: stage ${s.name}: apt lists not removed in the same RUN`);
  }
}
if (/npm\s+install/.test(content))
  problems.push(`${file}: use npm ci (reproducible from package-lock.json), not npm install`);

if (problems.length > 0) {
  for (const problem of problems) console.error(problem);
  process.exit(1);
}
console.log(
  `dockerfile: ${file} ok (${lines.length} lines, stages ${stages.map((s) => s.name).join(' > ')}; runtime: ${last(runtime, 'USER')}, HEALTHCHECK, exec-form CMD, ` +
    `no Prisma CLI; migrate: openssl + CLI; base ${resolveBase(stages[0].base)} pinned)`,
);
