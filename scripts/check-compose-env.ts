// Static check (scripts/static-checks.sh): the environment docker-compose.yml gives the api and
// the worker, with every default applied, passes the app's own configuration validation in
// production mode. Otherwise `docker compose up` on a fresh clone would start containers that
// exit at once with "Invalid configuration".
//   node --import tsx scripts/check-compose-env.ts <resolved compose file (docker-compose config)>
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { ConfigError, loadConfig } from '../src/config.js';

const file = process.argv[2];
if (!file) throw new Error('usage: check-compose-env.ts <resolved compose file>');
const { services } = parse(readFileSync(file, 'utf8')) as {
  services: Record<string, { environment?: Record<string, string | number | null> }>;
};

let failed = false;
for (const name of ['api', 'worker', 'migrate']) {
  const environment = Object.fromEntries(
    Object.entries(services[name]?.environment ?? {}).map(([key, value]) => [
      key,
      value == null ? undefined : String(value),
    ]),
  );
  try {
    const config = loadConfig(environment);
    if (config.nodeEnv !== 'production') throw new ConfigError(`NODE_ENV is ${config.nodeEnv}, expected production`);
  } catch (err) {
    failed = true;
    console.error(`${name}: ${err instanceof Error ? err.message : String(err)}`);
  }
}
if (failed) process.exit(1);
console.log('compose: api, worker and migrate environments pass the production configuration checks');
