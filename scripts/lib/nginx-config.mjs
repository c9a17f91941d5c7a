// The project's real nginx configuration (nginx/), copied into a scratch prefix and changed only
// where the platform differs. Every substitution must match, so a change to nginx/ that this
// harness no longer understands fails loudly.
// - writeNginxConfig (npm run test:topology, the fault suite, the log check): the upstream
//   addresses (conf.d/upstream.conf becomes an `upstream` block of loopback ports) and the
//   listening ports, plus the version adaptation below
// - writeComposeNginxConfig (`nginx -t` in scripts/static-checks.sh): the compose configuration
//   as it is, plus the version adaptation below
// Version adaptation: nginx/ is written for the nginx image compose runs (1.25.1 or newer),
// whose TLS server says `http2 on;`. Debian bookworm's nginx (1.22) does not know that
// directive; for it, and only for it, HTTP/2 moves back into the `listen` line (`listen ... ssl
// http2`, the pre-1.25.1 spelling). Nothing else differs between the two.
//   node scripts/lib/nginx-config.mjs --compose <prefix>   prints the adaptation made
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

function replaceOrThrow(text, from, to, file) {
  if (!text.includes(from)) throw new Error(`nginx template: "${from}" not found in ${file}`);
  return text.split(from).join(to);
}

/** The installed nginx's version as [major, minor, patch] (`nginx -v` prints it on stderr). */
export function nginxVersion() {
  const { stderr, error } = spawnSync('nginx', ['-v'], { encoding: 'utf8' });
  const match = /nginx\/(\d+)\.(\d+)\.(\d+)/.exec(stderr ?? '');
  if (!match) throw new Error(`cannot read the version of nginx: ${error?.message ?? stderr}`);
  return match.slice(1).map(Number);
}

/** True when the installed nginx knows `http2 on;` (1.25.1 and newer). */
export function nginxKnowsHttp2Directive(version = nginxVersion()) {
  const [major, minor, patch] = version;
  return major > 1 || (major === 1 && (minor > 25 || (minor === 25 && patch >= 1)));
}

/**
 * conf.d/api.conf text for the installed nginx: unchanged for 1.25.1+, else `http2 on;` dropped
 * and `http2` added to the TLS `listen` line. `listen443` replaces the TLS listen address.
 */
function adaptServers(text, { listen80 = '80', listen443 = '443', version } = {}) {
  const file = 'conf.d/api.conf';
  let servers = replaceOrThrow(text, 'listen 80 default_server;', `listen ${listen80} default_server;`, file);
  servers = replaceOrThrow(servers, 'listen 443 ssl default_server;', `listen ${listen443} ssl default_server;`, file);
  if (!nginxKnowsHttp2Directive(version)) {
    servers = replaceOrThrow(
      servers,
      `listen ${listen443} ssl default_server;`,
      `listen ${listen443} ssl http2 default_server;`,
      file,
    );
    servers = replaceOrThrow(servers, '  http2 on;\n', '', file);
  }
  return servers;
}

function copyConfig(projectDir, prefix) {
  const source = path.join(projectDir, 'nginx');
  for (const entry of ['nginx.conf', 'conf.d', 'snippets'])
    cpSync(path.join(source, entry), path.join(prefix, entry), { recursive: true });
  const mimeTypes = ['/etc/nginx/mime.types', '/usr/share/nginx/mime.types'].find((file) => existsSync(file));
  if (!mimeTypes) throw new Error('mime.types of the installed nginx not found');
  cpSync(mimeTypes, path.join(prefix, 'mime.types'));
}

/**
 * @param {{ projectDir: string, prefix: string, httpPort: number, httpsPort: number, upstreams: number[] }} options
 * @returns {string} the path of the main configuration file
 */
export function writeNginxConfig({ projectDir, prefix, httpPort, httpsPort, upstreams }) {
  copyConfig(projectDir, prefix);

  const upstreamFile = path.join(prefix, 'conf.d', 'upstream.conf');
  const original = readFileSync(upstreamFile, 'utf8');
  // Keep the variable name the rest of the configuration uses.
  replaceOrThrow(original, '$api_upstream', '$api_upstream', 'conf.d/upstream.conf');
  writeFileSync(
    upstreamFile,
    [
      '# Written by scripts/lib/nginx-config.mjs: the api instances of the native topology test.',
      'upstream api_instances {',
      ...upstreams.map((port) => `  server 127.0.0.1:${port} max_fails=1 fail_timeout=5s;`),
      '}',
      'map $host $api_upstream {',
      '  default api_instances;',
      '}',
      '',
    ].join('\n'),
  );

  const serversFile = path.join(prefix, 'conf.d', 'api.conf');
  writeFileSync(
    serversFile,
    adaptServers(readFileSync(serversFile, 'utf8'), {
      listen80: `127.0.0.1:${httpPort}`,
      listen443: `127.0.0.1:${httpsPort}`,
    }),
  );
  return path.join(prefix, 'nginx.conf');
}

/**
 * The compose configuration, unchanged but for the version adaptation.
 * @returns {{ config: string, adapted: boolean, version: string }}
 */
export function writeComposeNginxConfig({ projectDir, prefix }) {
  copyConfig(projectDir, prefix);
  const version = nginxVersion();
  const serversFile = path.join(prefix, 'conf.d', 'api.conf');
  const original = readFileSync(serversFile, 'utf8');
  const adapted = adaptServers(original, { version });
  writeFileSync(serversFile, adapted);
  return { config: path.join(prefix, 'nginx.conf'), adapted: adapted !== original, version: version.join('.') };
}

if (process.argv[1] === fileURLToPath(import.meta.url) && process.argv[2] === '--compose') {
  const projectDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
  const { adapted, version } = writeComposeNginxConfig({ projectDir, prefix: path.resolve(process.argv[3]) });
  console.log(
    adapted
      ? `nginx ${version} predates \`http2 on;\` (1.25.1): tested with \`listen 443 ssl http2\` instead, the only change`
      : `nginx ${version}: the compose configuration unchanged`,
  );
}
