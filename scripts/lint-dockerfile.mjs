#!/usr/bin/env node
// Dockerfile lint: dockerfile-utils' validator (its CLI prints problems but always exits 0, so
// its API is used), every diagnostic fails; plus the rules this project's image promises:
// multi-stage, a non-root USER, a HEALTHCHECK and an exec-form CMD in the final stage.
import { readFileSync } from 'node:fs';
import { validate } from 'dockerfile-utils';

const file = process.argv[2] ?? 'Dockerfile';
const content = readFileSync(file, 'utf8');
const lines = content.split('\n');
const problems = validate(content, {}).map((d) => `${file}:${d.range.start.line + 1}: ${d.message}`);

// Instructions of the final stage (after the last FROM), continuation lines joined.
const instructions = content
  .replace(/\\\r?\n/g, ' ')
  .split('\n')
  .map((line) => line.trim())
  .filter((line) => line && !line.startsWith('#'));
const froms = instructions.filter((line) => /^FROM\s/i.test(line));
const finalStage = instructions.slice(instructions.findLastIndex((line) => /^FROM\s/i.test(line)));
const last = (keyword) => finalStage.filter((line) => new RegExp(`^${keyword}\\s`, 'i').test(line)).at(-1);

if (froms.length < 3) problems.push(`${file}: expected a multi-stage build (deps, build, runtime), found ${froms.length} FROM`);
const user = last('USER');
if (!user || /^USER\s+(root|0)(:|\s|$)/i.test(user)) problems.push(`${file}: the final stage must switch to a non-root USER`);
if (!last('HEALTHCHECK')) problems.push(`${file}: the final stage has no HEALTHCHECK`);
const cmd = last('CMD');
if (!cmd || !/^CMD\s+\[/i.test(cmd)) problems.push(`${file}: the final CMD must be in exec form (["node", ...]) so signals reach node`);
if (/npm\s+install/.test(content)) problems.push(`${file}: use npm ci (reproducible from package-lock.json), not npm install`);

if (problems.length > 0) {
  for (const problem of problems) console.error(problem);
  process.exit(1);
}
console.log(`dockerfile: ${file} ok (${lines.length} lines, ${froms.length} stages, ${user}, exec-form CMD, HEALTHCHECK)`);
