// Writes the OpenAPI document the app serves at /openapi.json to a file (default
// .tmp/openapi.json), for `npm run lint:openapi` and for client generators:
//   npx tsx scripts/openapi-document.ts [path]
// The app is built but never listens and serves no request: nothing is written to PostgreSQL
// (BullMQ may write its queues' metadata keys in Redis, as at any start). Configuration comes from
// the environment like the app's (DATABASE_URL may point at a database that does not exist).
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { buildApp } from '../src/compose/api.js';
import { loadConfig } from '../src/config.js';

const target = resolve(process.argv[2] ?? '.tmp/openapi.json');
const config = loadConfig({
  DATABASE_URL: 'postgresql://postgres:postgres@127.0.0.1:5432/openapi_document_only',
  ...process.env,
  LOG_LEVEL: 'silent',
});
const app = await buildApp({ config });
try {
  await app.ready();
  mkdirSync(dirname(target), { recursive: true });
  writeFileSync(target, `${JSON.stringify(app.swagger(), null, 2)}\n`);
  console.log(`wrote ${target}`);
} finally {
  await app.close();
}
