// bcrypt reads only 72 bytes; the HMAC-SHA-256 pre-hash makes every byte of a password count.
import bcrypt from 'bcrypt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../../src/compose/api.js';
import { PasswordHasher } from '../../../src/modules/auth/password-hasher.js';
import { buildTestApp } from '../../helpers/app.js';
import { uniqueEmail } from '../../helpers/factories/users.js';

const hasher = new PasswordHasher(4);
const prefix = 'p'.repeat(72);

describe('PasswordHasher', () => {
  it('plain bcrypt would confuse two passwords sharing 72 bytes (why the pre-hash exists)', async () => {
    const plain = await bcrypt.hash(`${prefix}-first`, 4);
    expect(await bcrypt.compare(`${prefix}-second`, plain)).toBe(true);
  });

  it('tells apart two passwords that share their first 72 bytes', async () => {
    const stored = await hasher.hash(`${prefix}-first`);
    expect(await hasher.verify(`${prefix}-first`, stored)).toBe(true);
    expect(await hasher.verify(`${prefix}-second`, stored)).toBe(false);
  });

  it('counts multi-byte characters past byte 72 too', async () => {
    const stored = await hasher.hash(`${'é'.repeat(36)}ü`);
    expect(await hasher.verify(`${'é'.repeat(36)}ö`, stored)).toBe(false);
  });

  it('marks its hashes and still verifies legacy plain bcrypt hashes', async () => {
    expect(await hasher.hash('whatever-password')).toMatch(/^v2\$\$2b\$04\$/);
    const legacy = await bcrypt.hash('legacy-password', 4);
    expect(await hasher.verify('legacy-password', legacy)).toBe(true);
    expect(await hasher.verify('other-password', legacy)).toBe(false);
  });
});

describe('login with long passwords', () => {
  let app: App;
  beforeAll(async () => {
    app = await buildTestApp();
  });
  afterAll(() => app.close());

  it('only the exact password logs in when two share 72 bytes; 256 characters is the maximum', async () => {
    const email = uniqueEmail();
    const password = `${prefix}${'x'.repeat(184)}`;
    expect(password).toHaveLength(256);
    const registered = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/register',
      payload: { email, password, name: 'Long' },
    });
    expect(registered.statusCode).toBe(202);
    const login = (pw: string) =>
      app.inject({ method: 'POST', url: '/api/v1/auth/token', payload: { username: email, password: pw } });
    expect((await login(password)).statusCode).toBe(200);
    expect((await login(`${prefix}${'y'.repeat(184)}`)).statusCode).toBe(401);
    expect((await login(prefix)).statusCode).toBe(401);
  });

  it('a legacy plain-bcrypt account can still log in', async () => {
    const email = uniqueEmail('legacy');
    await app.prisma.user.create({
      data: { email, name: 'Legacy', passwordHash: await bcrypt.hash('legacy-password-1', 4) },
    });
    const response = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/token',
      payload: { username: email, password: 'legacy-password-1' },
    });
    expect(response.statusCode).toBe(200);
  });
});
