// What `npm run db:seed` tells a developer about the admin it created: the email, how to log
// in, and the password only when it is the published local default. Run from an empty folder,
// so the checkout's own .env (if any) plays no part, except where a test writes one.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../src/compose/api.js';
import { DEVELOPMENT_ADMIN_PASSWORD } from '../src/config.js';
import { buildTestApp, testEnv } from './helpers/app.js';
import { uniqueEmail } from './helpers/factories/users.js';

const execute = promisify(execFile);
const seedScript = fileURLToPath(new URL('../prisma/seed.ts', import.meta.url));
const tsx = import.meta.resolve('tsx');

let app: App;
let folder: string;

beforeAll(async () => {
  app = await buildTestApp();
  folder = await mkdtemp(path.join(tmpdir(), 'seed-'));
});
afterAll(async () => {
  await app.close();
  await rm(folder, { recursive: true, force: true });
});

/** The seed with the run's database, `env` on top, and without any ADMIN_PASSWORD unless given. */
async function seed(env: Record<string, string>) {
  const { ADMIN_PASSWORD: _inherited, ...inherited } = process.env;
  const { stdout } = await execute(process.execPath, ['--import', tsx, seedScript], {
    cwd: folder,
    env: { ...inherited, ...testEnv(env) },
  });
  return stdout;
}

async function logsIn(email: string, password: string) {
  const response = await app.inject({
    method: 'POST',
    url: '/api/v1/auth/token',
    payload: { username: email, password },
  });
  return response.statusCode === 200;
}

describe('npm run db:seed output', () => {
  it('prints the local default password it used, with the email and where to log in', async () => {
    const email = uniqueEmail('seed-default');
    const output = await seed({ ADMIN_EMAIL: email, PUBLIC_URL: 'http://localhost:3000' });
    expect(output).toContain(
      `created admin ${email} with the local development password "${DEVELOPMENT_ADMIN_PASSWORD}" (ADMIN_PASSWORD unset`,
    );
    expect(output).toContain('log in at http://localhost:3000/docs');
    expect(await logsIn(email, DEVELOPMENT_ADMIN_PASSWORD)).toBe(true);

    // Run again: the account exists, its password may have been changed since: nothing printed.
    const again = await seed({ ADMIN_EMAIL: email });
    expect(again).toContain(`admin ${email} already exists, its password unchanged`);
    expect(again).not.toContain(DEVELOPMENT_ADMIN_PASSWORD);
  }, 60_000);

  it('never prints a password set in the environment, and says where it comes from', async () => {
    const email = uniqueEmail('seed-secret');
    const password = 'a-real-secret-0123456789';
    const output = await seed({ ADMIN_EMAIL: email, ADMIN_PASSWORD: password });
    expect(output).toContain(
      `created admin ${email}; its password is the ADMIN_PASSWORD environment variable (not shown)`,
    );
    expect(output).not.toContain(password);
    expect(await logsIn(email, password)).toBe(true);
  }, 60_000);

  it('names .env when the password is set there', async () => {
    const email = uniqueEmail('seed-dotenv');
    const password = 'secret-from-dotenv-0123456789';
    await writeFile(path.join(folder, '.env'), `ADMIN_PASSWORD=${password}\n`);
    try {
      // NODE_ENV=development: the seed reads .env outside production only.
      const output = await seed({ ADMIN_EMAIL: email, NODE_ENV: 'development' });
      expect(output).toContain(`created admin ${email}; its password is ADMIN_PASSWORD in .env (not shown)`);
      expect(output).not.toContain(password);
      expect(await logsIn(email, password)).toBe(true);
    } finally {
      await rm(path.join(folder, '.env'));
    }
  }, 60_000);
});
