import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../../src/compose/api.js';
import type { Problem } from '../../../src/plugins/errors.js';
import { buildTestApp, problemOf } from '../../helpers/app.js';
import { createApiKey } from '../../helpers/factories/api-keys.js';
import { createUser, uniqueEmail } from '../../helpers/factories/users.js';

let app: App;

beforeAll(async () => {
  app = await buildTestApp();
});
afterAll(() => app.close());

describe('POST /api/v1/auth/register', () => {
  it('creates a user (202 with a generic body, no user data) and stores only a hash', async () => {
    const email = uniqueEmail();
    const response = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/register',
      payload: { email, password: 'correct horse battery', name: 'Ann' },
    });
    expect(response.statusCode).toBe(202);
    expect(response.json()).toEqual({ detail: 'Check your inbox: we sent an email to this address' });
    expect(response.headers.location).toBeUndefined();
    const stored = await app.prisma.user.findUniqueOrThrow({ where: { email } });
    expect(stored).toMatchObject({ name: 'Ann', role: 'USER', isActive: true });
    expect(stored.passwordHash).toMatch(/^v2\$\$2b\$04\$/);
    // The account works: log in with it.
    const login = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/token',
      payload: { username: email, password: 'correct horse battery' },
    });
    expect(login.statusCode).toBe(200);
  });

  it('answers a taken email exactly like a new one, whatever its case, and changes nothing', async () => {
    const email = uniqueEmail();
    const first = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/register',
      payload: { email, password: 'password-1', name: 'A' },
    });
    const again = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/register',
      payload: { email: email.toUpperCase(), password: 'password-2', name: 'B' },
    });
    expect(again.statusCode).toBe(202);
    expect(again.body).toBe(first.body);
    expect(again.headers['content-type']).toBe(first.headers['content-type']);
    // The owner's account is untouched: same name, the first password still logs in, the second does not.
    expect(await app.prisma.user.findUniqueOrThrow({ where: { email } })).toMatchObject({ name: 'A' });
    const login = (password: string) =>
      app.inject({ method: 'POST', url: '/api/v1/auth/token', payload: { username: email, password } });
    expect((await login('password-1')).statusCode).toBe(200);
    expect((await login('password-2')).statusCode).toBe(401);
  });

  it.each([
    [{ email: 'not-an-email', password: 'long enough', name: 'x' }, '/body/email'],
    [{ email: 'a@example.com', password: 'short', name: 'x' }, '/body/password'],
    [{ email: 'a@example.com', password: 'x'.repeat(257), name: 'x' }, '/body/password'],
    [{ email: 'a@example.com', password: 'long enough' }, '/body/name'],
    [{ email: 'a@example.com', password: 'long enough', name: 'x', role: 'ADMIN' }, '/body/role'],
  ])('validates %j (422 at %s)', async (payload, path) => {
    const response = await app.inject({ method: 'POST', url: '/api/v1/auth/register', payload });
    expect(response.statusCode).toBe(422);
    expect(problemOf(response).errors?.map((e) => e.path)).toContain(path);
  });
});

describe('POST /api/v1/auth/token', () => {
  it('accepts the OAuth2 form and returns a bearer pair', async () => {
    const user = await createUser(app);
    const response = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/token',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({
        grant_type: 'password',
        username: user.email,
        password: user.password,
      }).toString(),
    });
    expect(response.statusCode).toBe(200);
    expect(response.headers['cache-control']).toBe('no-store');
    const body = response.json();
    expect(body).toMatchObject({ token_type: 'bearer', expires_in: 900 });
    expect(body.access_token.split('.')).toHaveLength(3);
    expect(body.refresh_token.length).toBeGreaterThanOrEqual(43);
    const [header, payload] = body.access_token
      .split('.')
      .slice(0, 2)
      .map((part: string) => JSON.parse(Buffer.from(part, 'base64url').toString()));
    expect(header).toMatchObject({ alg: 'HS256', typ: 'JWT' });
    expect(payload).toMatchObject({ sub: String(user.id), role: 'USER', typ: 'access' });
    expect(payload.exp - payload.iat).toBe(900);
    expect(payload.jti).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('accepts JSON too, and the email is case-insensitive', async () => {
    const user = await createUser(app);
    const response = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/token',
      payload: { username: user.email.toUpperCase(), password: user.password },
    });
    expect(response.statusCode).toBe(200);
  });

  it('stores refresh tokens hashed, in a family', async () => {
    const user = await createUser(app);
    const rows = await app.prisma.refreshToken.findMany({ where: { userId: user.id } });
    expect(rows).toHaveLength(1);
    expect(rows[0]!.tokenHash).toMatch(/^[0-9a-f]{64}$/);
    expect(rows[0]!.tokenHash).not.toBe(user.refreshToken);
    expect(rows[0]!.familyId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('answers an unknown email and a wrong password identically', async () => {
    const user = await createUser(app);
    const wrong = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/token',
      payload: { username: user.email, password: 'wrong-password' },
    });
    const unknown = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/token',
      payload: { username: uniqueEmail('ghost'), password: 'wrong-password' },
    });
    expect(wrong.statusCode).toBe(401);
    expect(unknown.statusCode).toBe(401);
    const strip = (p: Problem) => ({ ...p, requestId: undefined });
    expect(strip(problemOf(wrong))).toEqual(strip(problemOf(unknown)));
    expect(wrong.headers['www-authenticate']).toBe('Bearer');
  });

  it('spends bcrypt time on unknown emails too (dummy hash)', async () => {
    const hasher = app.services.auth.hasher;
    let compares = 0;
    const original = hasher.verify.bind(hasher);
    hasher.verify = async (password, stored) => {
      compares++;
      return original(password, stored);
    };
    try {
      await app.inject({
        method: 'POST',
        url: '/api/v1/auth/token',
        payload: { username: uniqueEmail('ghost'), password: 'whatever-pass' },
      });
    } finally {
      hasher.verify = original;
    }
    expect(compares).toBe(1);
  });

  it('refuses a deactivated account', async () => {
    const user = await createUser(app);
    await app.prisma.user.update({ where: { id: user.id }, data: { isActive: false } });
    const response = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/token',
      payload: { username: user.email, password: user.password },
    });
    expect(response.statusCode).toBe(401);
  });
});

describe('access tokens on protected routes', () => {
  it('rejects a malformed or tampered token', async () => {
    const user = await createUser(app);
    const [h, p, s] = user.accessToken.split('.');
    const claims = JSON.parse(Buffer.from(p!, 'base64url').toString());
    const forged = `${h}.${Buffer.from(JSON.stringify({ ...claims, role: 'ADMIN' })).toString('base64url')}.${s}`;
    for (const authorization of ['Bearer nonsense', `Bearer ${forged}`, `Basic ${user.accessToken}`]) {
      const response = await app.inject({ method: 'GET', url: '/api/v1/users/me', headers: { authorization } });
      expect(response.statusCode).toBe(401);
    }
  });

  it('stops working once the user is deactivated', async () => {
    const user = await createUser(app);
    expect((await app.inject({ method: 'GET', url: '/api/v1/users/me', headers: user.headers })).statusCode).toBe(200);
    await app.prisma.user.update({ where: { id: user.id }, data: { isActive: false } });
    expect((await app.inject({ method: 'GET', url: '/api/v1/users/me', headers: user.headers })).statusCode).toBe(401);
  });
});

describe('POST /api/v1/auth/logout is bearer-only', () => {
  const logout = (headers: Record<string, string>, cookies?: Record<string, string>) =>
    app.inject({ method: 'POST', url: '/api/v1/auth/logout', headers, ...(cookies ? { cookies } : {}) });

  it('refuses an API key alone with 401 (WWW-Authenticate: Bearer) and revokes nothing, not even the cookie session', async () => {
    const user = await createUser(app);
    const { key } = await createApiKey(app, user);

    // The refresh cookie a browser would send along must not be revoked on an API key's say-so.
    const response = await logout({ 'x-api-key': key }, { refresh_token: user.refreshToken });
    expect(response.statusCode).toBe(401);
    expect(response.headers['www-authenticate']).toBe('Bearer');
    expect(problemOf(response).detail).toMatch(/bearer access token/);
    expect(response.cookies.find((c) => c.name === 'refresh_token')).toBeUndefined();

    expect(await app.prisma.refreshToken.count({ where: { userId: user.id, revokedAt: { not: null } } })).toBe(0);
    expect((await app.inject({ method: 'GET', url: '/api/v1/users/me', headers: user.headers })).statusCode).toBe(200);
    expect(
      (await app.inject({ method: 'GET', url: '/api/v1/users/me', headers: { 'x-api-key': key } })).statusCode,
    ).toBe(200);
    const refreshed = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/refresh',
      payload: { refresh_token: user.refreshToken },
    });
    expect(refreshed.statusCode).toBe(200);
  });

  it('still logs out with a bearer token, with or without an API key alongside', async () => {
    const user = await createUser(app);
    const { key } = await createApiKey(app, user);
    expect((await logout({ ...user.headers, 'x-api-key': key })).statusCode).toBe(204);
    expect((await app.inject({ method: 'GET', url: '/api/v1/users/me', headers: user.headers })).statusCode).toBe(401);
    // The key is not a session: logging out leaves it working.
    expect(
      (await app.inject({ method: 'GET', url: '/api/v1/users/me', headers: { 'x-api-key': key } })).statusCode,
    ).toBe(200);
  });

  it('documents itself as bearer-only', async () => {
    const document = (await app.inject({ method: 'GET', url: '/openapi.json' })).json();
    const operation = document.paths['/api/v1/auth/logout'].post;
    expect(operation.security).toEqual([{ OAuth2PasswordBearer: [] }]);
    expect(operation.description).toMatch(/API key/);
  });
});
