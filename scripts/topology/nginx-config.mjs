// The project's real nginx configuration (nginx/), copied into a scratch prefix and changed only
// where the platform differs: the upstream addresses (conf.d/upstream.conf is replaced by an
// `upstream` block of loopback ports) and the listening ports. Every substitution must match,
// so a change to nginx/ that this harness no longer understands fails loudly.
import { cpSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

function replaceOrThrow(text, from, to, file) {
  if (!text.includes(from)) throw new Error(`nginx template: "${from}" not found in ${file}`);
  return text.split(from).join(to);
}

/**
 * @param {{ projectDir: string, prefix: string, httpPort: number, httpsPort: number, upstreams: number[] }} options
 * @returns {string} the path of the main configuration file
 */
export function writeNginxConfig({ projectDir, prefix, httpPort, httpsPort, upstreams }) {
  const source = path.join(projectDir, 'nginx');
  for (const entry of ['nginx.conf', 'conf.d', 'snippets']) cpSync(path.join(source, entry), path.join(prefix, entry), { recursive: true });
  const mimeTypes = ['/etc/nginx/mime.types', '/usr/share/nginx/mime.types'].find((file) => existsSync(file));
  if (!mimeTypes) throw new Error('mime.types of the installed nginx not found');
  cpSync(mimeTypes, path.join(prefix, 'mime.types'));

  const upstreamFile = path.join(prefix, 'conf.d', 'upstream.conf');
  const original = readFileSync(upstreamFile, 'utf8');
  // Keep the variable names the rest of the configuration uses.
  for (const variable of ['$api_upstream', '$mailpit_upstream']) replaceOrThrow(original, variable, variable, 'conf.d/upstream.conf');
  writeFileSync(
    upstreamFile,
    [
      '# Written by scripts/topology/nginx-config.mjs: the api instances of the native topology test.',
      'upstream api_instances {',
      ...upstreams.map((port) => `  server 127.0.0.1:${port} max_fails=1 fail_timeout=5s;`),
      '}',
      'map $host $api_upstream {',
      '  default api_instances;',
      '}',
      'map $host $mailpit_upstream {',
      '  default 127.0.0.1:9;',
      '}',
      '',
    ].join('\n'),
  );

  const serversFile = path.join(prefix, 'conf.d', 'api.conf');
  let servers = readFileSync(serversFile, 'utf8');
  servers = replaceOrThrow(servers, 'listen 80 default_server;', `listen 127.0.0.1:${httpPort} default_server;`, 'conf.d/api.conf');
  servers = replaceOrThrow(servers, 'listen 443 ssl http2 default_server;', `listen 127.0.0.1:${httpsPort} ssl http2 default_server;`, 'conf.d/api.conf');
  writeFileSync(serversFile, servers);

  return path.join(prefix, 'nginx.conf');
}
