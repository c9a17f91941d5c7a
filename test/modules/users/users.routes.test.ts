import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../../src/compose/api.js';
import { LocalDiskStorage } from '../../../src/infra/storage/local-disk-storage.js';
import { buildTestApp, problemOf } from '../../helpers/app.js';
import { randomIp } from '../../helpers/factories/clients.js';
import { filePart, uploadFile, uploadFiles } from '../../helpers/factories/files.js';
import { createItem } from '../../helpers/factories/items.js';
import { createAdmin, createUser, type TestUser } from '../../helpers/factories/users.js';

let app: App;
let admin: TestUser;

beforeAll(async () => {
  app = await buildTestApp();
  admin = await createAdmin(app);
});
afterAll(() => app.close());

describe('/api/v1/users/me', () => {
  it('returns the profile of the token owner', async () => {
    const user = await createUser(app, { name: 'Me Myself' });
    const response = await app.inject({ method: 'GET', url: '/api/v1/users/me', headers: user.headers });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ id: user.id, email: user.email, name: 'Me Myself', role: 'USER' });
  });

  it('is 401 without a token', async () => {
    const response = await app.inject({ method: 'GET', url: '/api/v1/users/me' });
    expect(response.statusCode).toBe(401);
    expect(problemOf(response).detail).toBe('Authentication is required');
  });

  it('changes the name without a password', async () => {
    const user = await createUser(app);
    const response = await app.inject({
      method: 'PATCH',
      url: '/api/v1/users/me',
      headers: user.headers,
      payload: { name: 'Renamed' },
    });
    expect(response.statusCode).toBe(200);
    expect(response.json().name).toBe('Renamed');
  });

  it('needs the current password to change the password, then the new one logs in', async () => {
    const user = await createUser(app);
    const missing = await app.inject({
      method: 'PATCH',
      url: '/api/v1/users/me',
      headers: user.headers,
      payload: { password: 'brand-new-password' },
    });
    expect(missing.statusCode).toBe(401);
    const wrong = await app.inject({
      method: 'PATCH',
      url: '/api/v1/users/me',
      headers: user.headers,
      payload: { password: 'brand-new-password', currentPassword: 'not-it' },
    });
    expect(wrong.statusCode).toBe(401);
    const ok = await app.inject({
      method: 'PATCH',
      url: '/api/v1/users/me',
      headers: user.headers,
      payload: { password: 'brand-new-password', currentPassword: user.password },
    });
    expect(ok.statusCode).toBe(200);
    const oldLogin = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/token',
      payload: { username: user.email, password: user.password },
    });
    expect(oldLogin.statusCode).toBe(401);
    const newLogin = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/token',
      payload: { username: user.email, password: 'brand-new-password' },
    });
    expect(newLogin.statusCode).toBe(200);
  });

  it('cannot raise its own role or touch its active flag (422: not fields of the profile)', async () => {
    const user = await createUser(app);
    for (const payload of [{ role: 'ADMIN' }, { isActive: false }]) {
      const response = await app.inject({ method: 'PATCH', url: '/api/v1/users/me', headers: user.headers, payload });
      expect(response.statusCode).toBe(422);
    }
    const me = await app.inject({ method: 'GET', url: '/api/v1/users/me', headers: user.headers });
    expect(me.json().role).toBe('USER');
  });

  it('refuses an email already taken by someone else (409)', async () => {
    const [a, b] = await Promise.all([createUser(app), createUser(app)]);
    const response = await app.inject({
      method: 'PATCH',
      url: '/api/v1/users/me',
      headers: a.headers,
      payload: { email: b.email, currentPassword: a.password },
    });
    expect(response.statusCode).toBe(409);
  });
});

describe('wrong current passwords (the credential rate limit, per client and account)', () => {
  let limited: App;
  beforeAll(async () => {
    limited = await buildTestApp({ env: { LOGIN_RATE_LIMIT_MAX: '3' } });
  });
  afterAll(() => limited.close());

  const patchMe = (user: TestUser, remoteAddress: string, payload: object) =>
    limited.inject({ method: 'PATCH', url: '/api/v1/users/me', headers: user.headers, remoteAddress, payload });

  it('a stolen access token does not buy unlimited password guesses: 429 with Retry-After', async () => {
    const user = await createUser(app);
    const attacker = randomIp();
    const statuses = [];
    for (let i = 0; i < 6; i++)
      statuses.push(
        (await patchMe(user, attacker, { password: 'taken-over-password', currentPassword: `guess-${i}` })).statusCode,
      );
    expect(statuses).toEqual([401, 401, 401, 429, 429, 429]);
    const refused = await patchMe(user, attacker, { email: 'thief@example.com', currentPassword: user.password });
    expect(refused.statusCode).toBe(429);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    // Changes that need no password are not limited; the owner elsewhere is not locked out.
    expect((await patchMe(user, attacker, { name: 'Still me' })).statusCode).toBe(200);
    expect(
      (await patchMe(user, randomIp(), { password: 'my-own-new-password', currentPassword: user.password })).statusCode,
    ).toBe(200);
  });

  it('right current passwords and refusals for other reasons (409) do not use the budget', async () => {
    const [user, other] = await Promise.all([createUser(app), createUser(app)]);
    const ip = randomIp();
    for (let i = 0; i < 4; i++)
      expect((await patchMe(user, ip, { email: other.email, currentPassword: user.password })).statusCode).toBe(409);
    expect((await patchMe(user, ip, { email: `x${user.email}`, currentPassword: user.password })).statusCode).toBe(200);
  });
});

describe('user management (ADMIN)', () => {
  it('is forbidden to a USER (403) and needs a token (401)', async () => {
    const user = await createUser(app);
    expect((await app.inject({ method: 'GET', url: '/api/v1/users', headers: user.headers })).statusCode).toBe(403);
    expect(
      (await app.inject({ method: 'GET', url: `/api/v1/users/${user.id}`, headers: user.headers })).statusCode,
    ).toBe(403);
    expect((await app.inject({ method: 'GET', url: '/api/v1/users' })).statusCode).toBe(401);
  });

  it('lists users paginated and filtered by role', async () => {
    const page = (
      await app.inject({ method: 'GET', url: '/api/v1/users?role=ADMIN&limit=100', headers: admin.headers })
    ).json();
    expect(page.limit).toBe(100);
    expect(page.items.length).toBeGreaterThan(0);
    expect(page.items.every((u: { role: string }) => u.role === 'ADMIN')).toBe(true);
    expect(page.items.map((u: { id: number }) => u.id)).toContain(admin.id);
    expect(JSON.stringify(page)).not.toMatch(/passwordHash|\$2b\$/);
  });

  it('takes the role as an enum path parameter (422 on anything else)', async () => {
    const ok = await app.inject({ method: 'GET', url: '/api/v1/users/role/USER?limit=1', headers: admin.headers });
    expect(ok.statusCode).toBe(200);
    expect(ok.json().items[0].role).toBe('USER');
    const bad = await app.inject({ method: 'GET', url: '/api/v1/users/role/ROOT', headers: admin.headers });
    expect(bad.statusCode).toBe(422);
    expect(problemOf(bad).errors?.[0]?.path).toBe('/params/role');
  });

  it('reads, promotes, deactivates and deletes a user', async () => {
    const user = await createUser(app);
    const read = await app.inject({ method: 'GET', url: `/api/v1/users/${user.id}`, headers: admin.headers });
    expect(read.json()).toMatchObject({ id: user.id, email: user.email });

    const promoted = await app.inject({
      method: 'PATCH',
      url: `/api/v1/users/${user.id}`,
      headers: admin.headers,
      payload: { role: 'ADMIN' },
    });
    expect(promoted.json().role).toBe('ADMIN');
    // The role change applies on the very next request of the same token.
    const asAdmin = await app.inject({ method: 'GET', url: '/api/v1/users', headers: user.headers });
    expect(asAdmin.statusCode).toBe(200);

    const deactivated = await app.inject({
      method: 'PATCH',
      url: `/api/v1/users/${user.id}`,
      headers: admin.headers,
      payload: { isActive: false },
    });
    expect(deactivated.json().isActive).toBe(false);
    expect((await app.inject({ method: 'GET', url: '/api/v1/users/me', headers: user.headers })).statusCode).toBe(401);

    const deleted = await app.inject({ method: 'DELETE', url: `/api/v1/users/${user.id}`, headers: admin.headers });
    expect(deleted.statusCode).toBe(204);
    expect(
      (await app.inject({ method: 'GET', url: `/api/v1/users/${user.id}`, headers: admin.headers })).statusCode,
    ).toBe(404);
    expect(
      (await app.inject({ method: 'DELETE', url: `/api/v1/users/${user.id}`, headers: admin.headers })).statusCode,
    ).toBe(404);
    expect(
      (
        await app.inject({
          method: 'PATCH',
          url: `/api/v1/users/${user.id}`,
          headers: admin.headers,
          payload: { name: 'x' },
        })
      ).statusCode,
    ).toBe(404);
  });

  it("drops the deleted user's items from the cache: the next read is 404, not a cached 200", async () => {
    const user = await createUser(app);
    const ids: number[] = [];
    for (const name of ['Cached one', 'Cached two']) {
      const { id } = await createItem(app, user, { name, price: 3 });
      ids.push(id);
      await app.inject({ method: 'GET', url: `/api/v1/items/${id}` });
      expect((await app.inject({ method: 'GET', url: `/api/v1/items/${id}` })).headers['x-cache']).toBe('HIT');
    }

    expect(
      (await app.inject({ method: 'DELETE', url: `/api/v1/users/${user.id}`, headers: admin.headers })).statusCode,
    ).toBe(204);

    expect(await app.prisma.item.count({ where: { id: { in: ids } } })).toBe(0);
    for (const id of ids)
      expect((await app.inject({ method: 'GET', url: `/api/v1/items/${id}` })).statusCode).toBe(404);
  });

  it("removes the bytes of the deleted user's files from storage", async () => {
    const user = await createUser(app);
    await uploadFiles(app, user, [
      filePart({ filename: 'a.txt', content: 'first file' }),
      filePart({ filename: 'b.txt', content: 'second file' }),
    ]);
    const keys = (await app.prisma.file.findMany({ where: { ownerId: user.id }, select: { storageKey: true } })).map(
      (file) => file.storageKey,
    );
    expect(keys).toHaveLength(2);
    for (const key of keys) expect(await app.services.storage.stat(key)).not.toBeNull();

    expect(
      (await app.inject({ method: 'DELETE', url: `/api/v1/users/${user.id}`, headers: admin.headers })).statusCode,
    ).toBe(204);

    expect(await app.prisma.file.count({ where: { ownerId: user.id } })).toBe(0);
    for (const key of keys) expect(await app.services.storage.stat(key)).toBeNull();
  });

  it('still deletes the user when their bytes cannot be removed, and logs it', async () => {
    class UndeletableStorage extends LocalDiskStorage {
      override async delete(): Promise<void> {
        throw new Error('object store unavailable');
      }
    }
    const lines: string[] = [];
    const other = await buildTestApp({
      overrides: {
        storage: new UndeletableStorage({ root: app.config.uploadDir, maxBytes: app.config.maxUploadBytes }),
      },
      env: { LOG_LEVEL: 'warn' },
      logStream: { write: (line) => void lines.push(line) },
    });
    try {
      const user = await createUser(other);
      await uploadFile(other, user, { filename: 'kept.txt', content: 'kept' });
      expect(
        (await other.inject({ method: 'DELETE', url: `/api/v1/users/${user.id}`, headers: admin.headers })).statusCode,
      ).toBe(204);
      expect(await other.prisma.user.count({ where: { id: user.id } })).toBe(0);
      expect(lines.some((line) => line.includes('could not remove stored content of a deleted user'))).toBe(true);
    } finally {
      await other.close();
    }
  });

  it('does not let an admin demote, deactivate or delete itself (409)', async () => {
    const self = await createAdmin(app);
    for (const payload of [{ role: 'USER' }, { isActive: false }]) {
      const response = await app.inject({
        method: 'PATCH',
        url: `/api/v1/users/${self.id}`,
        headers: self.headers,
        payload,
      });
      expect(response.statusCode).toBe(409);
    }
    expect(
      (await app.inject({ method: 'DELETE', url: `/api/v1/users/${self.id}`, headers: self.headers })).statusCode,
    ).toBe(409);
  });

  it('validates the admin body (422)', async () => {
    const user = await createUser(app);
    const response = await app.inject({
      method: 'PATCH',
      url: `/api/v1/users/${user.id}`,
      headers: admin.headers,
      payload: { role: 'ROOT', email: 'x@example.com' },
    });
    expect(response.statusCode).toBe(422);
    expect(problemOf(response).errors?.map((e) => e.path)).toEqual(
      expect.arrayContaining(['/body/role', '/body/email']),
    );
  });
});
