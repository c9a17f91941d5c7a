import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../src/compose/api.js';
import { buildTestApp, testEnv } from './helpers/app.js';
import { uniqueEmail } from './helpers/factories/users.js';

const run = promisify(execFile);
let app: App;

beforeAll(async () => {
  app = await buildTestApp();
});
afterAll(() => app.close());

describe('npm run db:seed', () => {
  it('creates the configured admin once, with demo items, and can be run again', async () => {
    const email = uniqueEmail('seed-admin');
    const env = { ...process.env, ...testEnv({ ADMIN_EMAIL: email, ADMIN_PASSWORD: 'seeded-password-1' }) };
    await run(process.execPath, ['--import', 'tsx', 'prisma/seed.ts'], { env });
    await run(process.execPath, ['--import', 'tsx', 'prisma/seed.ts', '--items', '25'], { env });

    const admins = await app.prisma.user.findMany({ where: { email } });
    expect(admins).toHaveLength(1);
    expect(admins[0]).toMatchObject({ role: 'ADMIN', isActive: true });
    const items = await app.prisma.item.count({ where: { ownerId: admins[0]!.id } });
    expect(items).toBe(3 + 25);

    const login = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/token',
      payload: { username: email, password: 'seeded-password-1' },
    });
    expect(login.statusCode, login.body).toBe(200);
    expect(login.json().access_token).toBeTruthy();
  }, 60_000);
});
