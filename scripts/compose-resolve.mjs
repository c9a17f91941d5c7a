// docker-compose.yml as Compose v2 resolves it, for the static checks: YAML anchors and `<<`
// merges expanded, then every string interpolated the compose-spec way (`$$`, `$VAR`, `${VAR}`,
// `${VAR:-default}`, `${VAR-default}`, `${VAR:+alt}`, `${VAR+alt}`, `${VAR:?error}`,
// `${VAR?error}`, nested inside defaults). Used where `docker compose` v2 is not installed
// (here: Debian ships docker-compose 1.29, which cannot nest variables); scripts/check-compose.mjs
// prefers `docker compose config` when it exists.
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';

/** Index of the `}` closing the `${` whose `{` is at `open`, nested `${...}` skipped. */
function closingBrace(text, open) {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    if (text[i] === '$' && text[i + 1] === '$') i++;
    else if (text[i] === '{') depth++;
    else if (text[i] === '}' && --depth === 0) return i;
  }
  throw new Error(`unclosed \${ in ${JSON.stringify(text)}`);
}

/** Interpolates one string with `env` (a plain object; undefined = unset). */
export function interpolate(text, env) {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c !== '$') {
      out += c;
      continue;
    }
    const next = text[i + 1];
    if (next === '$') {
      out += '$';
      i++;
    } else if (next === '{') {
      const close = closingBrace(text, i + 1);
      const body = text.slice(i + 2, close);
      const [, name, op = '', word = ''] = /^([A-Za-z_][A-Za-z0-9_]*)(:?[-+?])?([\s\S]*)$/.exec(body) ?? [];
      if (!name) throw new Error(`invalid interpolation \${${body}}`);
      const value = env[name];
      const set = value !== undefined;
      const nonEmpty = set && value !== '';
      if (op === ':-') out += nonEmpty ? value : interpolate(word, env);
      else if (op === '-') out += set ? value : interpolate(word, env);
      else if (op === ':+') out += nonEmpty ? interpolate(word, env) : '';
      else if (op === '+') out += set ? interpolate(word, env) : '';
      else if (op === ':?' || op === '?') {
        if (op === ':?' ? !nonEmpty : !set)
          throw new Error(`required variable ${name} is missing: ${interpolate(word, env)}`);
        out += value;
      } else if (word === '') out += value ?? '';
      else throw new Error(`invalid interpolation \${${body}}`);
      i = close;
    } else {
      const name = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(i + 1))?.[0];
      if (name) {
        out += env[name] ?? '';
        i += name.length;
      } else out += '$';
    }
  }
  return out;
}

function walk(value, env) {
  if (typeof value === 'string') return interpolate(value, env);
  if (Array.isArray(value)) return value.map((v) => walk(v, env));
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, walk(v, env)]));
  return value;
}

/** The compose file resolved with `env` (only those variables: no .env file, no process env). */
export function resolveCompose(file, env = {}) {
  const document = parse(readFileSync(file, 'utf8'), { merge: true, maxAliasCount: -1 });
  const resolved = walk(document, env);
  for (const key of Object.keys(resolved)) if (key.startsWith('x-')) delete resolved[key];
  return resolved;
}
