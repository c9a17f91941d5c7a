// Logout and revocation across instances: two apps share PostgreSQL and Redis, like two
// replicas behind a load balancer. What one revokes, the other refuses on the next request.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../../src/compose/api.js';
import { buildTestApp, problemOf } from '../../helpers/app.js';
import { createAdmin, createUser, logIn, type TestUser } from '../../helpers/factories/users.js';

let app: App;
let other: App;

beforeAll(async () => {
  [app, other] = await Promise.all([buildTestApp(), buildTestApp()]);
});
afterAll(() => Promise.all([app.close(), other.close()]));

const me = (target: App, accessToken: string) =>
  target.inject({ method: 'GET', url: '/api/v1/users/me', headers: { authorization: `Bearer ${accessToken}` } });
const refresh = (target: App, refresh_token: string) =>
  target.inject({ method: 'POST', url: '/api/v1/auth/refresh', payload: { refresh_token } });
const logout = (target: App, user: Pick<TestUser, 'headers'>) =>
  target.inject({ method: 'POST', url: '/api/v1/auth/logout', headers: user.headers });

describe('POST /api/v1/auth/logout', () => {
  it('answers 204 and revokes the access token and the refresh family on every instance', async () => {
    const user = await createUser(app);
    expect((await me(other, user.accessToken)).statusCode).toBe(200);

    const response = await logout(app, user);
    expect(response.statusCode).toBe(204);
    expect(response.body).toBe('');
    const cleared = response.cookies.find((c) => c.name === 'refresh_token');
    expect(cleared?.path).toBe('/api/v1/auth');
    expect(cleared?.expires?.getTime()).toBeLessThan(Date.now());

    expect((await me(other, user.accessToken)).statusCode).toBe(401);
    expect((await me(app, user.accessToken)).statusCode).toBe(401);
    expect((await refresh(other, user.refreshToken)).statusCode).toBe(401);
    // The deny-list entry lives until the token would have expired anyway.
    const claims = JSON.parse(Buffer.from(user.accessToken.split('.')[1]!, 'base64url').toString());
    const ttl = await app.redis.ttl(`auth:deny:jti:${claims.jti}`);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(claims.exp - Math.floor(Date.now() / 1000) + 1);
  });

  it('ends only that session: another login of the same user keeps working', async () => {
    const user = await createUser(app);
    const second = await logIn(app, user);
    expect((await logout(app, user)).statusCode).toBe(204);
    expect((await me(other, second.access_token)).statusCode).toBe(200);
    expect((await refresh(other, second.refresh_token)).statusCode).toBe(200);
  });

  it('needs an access token', async () => {
    const response = await app.inject({ method: 'POST', url: '/api/v1/auth/logout' });
    expect(response.statusCode).toBe(401);
    expect(response.headers['www-authenticate']).toBe('Bearer');
    problemOf(response);
  });
});

describe('revoking every session of a user', () => {
  it('a password change (PATCH /users/me with currentPassword) ends every session at once', async () => {
    const user = await createUser(app);
    const second = await logIn(other, user);
    const change = await app.inject({
      method: 'PATCH',
      url: '/api/v1/users/me',
      headers: user.headers,
      payload: { password: 'a-brand-new-password', currentPassword: user.password },
    });
    expect(change.statusCode).toBe(200);

    for (const target of [app, other]) {
      expect((await me(target, user.accessToken)).statusCode).toBe(401);
      expect((await me(target, second.access_token)).statusCode).toBe(401);
    }
    expect((await refresh(other, user.refreshToken)).statusCode).toBe(401);
    expect((await refresh(app, second.refresh_token)).statusCode).toBe(401);
    // The new password opens a new session.
    await logIn(other, { ...user, password: 'a-brand-new-password' });
  });

  it('deactivation by an admin ends every session; reactivation does not revive them', async () => {
    const admin = await createAdmin(app);
    const user = await createUser(app);
    const off = await app.inject({
      method: 'PATCH',
      url: `/api/v1/users/${user.id}`,
      headers: admin.headers,
      payload: { isActive: false },
    });
    expect(off.statusCode).toBe(200);
    expect((await me(other, user.accessToken)).statusCode).toBe(401);
    expect((await refresh(other, user.refreshToken)).statusCode).toBe(401);

    const on = await other.inject({
      method: 'PATCH',
      url: `/api/v1/users/${user.id}`,
      headers: admin.headers,
      payload: { isActive: true },
    });
    expect(on.statusCode).toBe(200);
    expect((await me(app, user.accessToken)).statusCode).toBe(401);
    expect((await refresh(app, user.refreshToken)).statusCode).toBe(401);
  });

  it('a role change applies on the very next request on another instance', async () => {
    const admin = await createAdmin(app);
    const user = await createUser(app);
    const listUsers = (target: App) => target.inject({ method: 'GET', url: '/api/v1/users', headers: user.headers });
    expect((await listUsers(other)).statusCode).toBe(403);

    await app.inject({
      method: 'PATCH',
      url: `/api/v1/users/${user.id}`,
      headers: admin.headers,
      payload: { role: 'ADMIN' },
    });
    expect((await listUsers(other)).statusCode).toBe(200);

    await app.inject({
      method: 'PATCH',
      url: `/api/v1/users/${user.id}`,
      headers: admin.headers,
      payload: { role: 'USER' },
    });
    expect((await listUsers(other)).statusCode).toBe(403);
  });
});

describe('when Redis is unreachable', () => {
  let down: App;
  beforeAll(async () => {
    // Nothing listens on port 1: every Redis command fails at once (no offline queue).
    down = await buildTestApp({ env: { REDIS_URL: 'redis://127.0.0.1:1' } });
  });
  afterAll(() => down.close());

  it('access tokens still work, checked against PostgreSQL instead of the deny-list', async () => {
    const user = await createUser(app);
    const response = await me(down, user.accessToken);
    // 200: the global rate limit failed open and the deny-list check fell back to PostgreSQL.
    expect(response.statusCode).toBe(200);
  });

  it('a session revoked elsewhere is still refused (fail closed, through PostgreSQL)', async () => {
    const user = await createUser(app);
    expect((await logout(app, user)).statusCode).toBe(204);
    expect((await me(down, user.accessToken)).statusCode).toBe(401);
  });

  it('logout still answers 204 and the session is dead where the deny-list cannot be read', async () => {
    const user = await createUser(app);
    expect((await logout(down, user)).statusCode).toBe(204);
    expect((await me(down, user.accessToken)).statusCode).toBe(401);
    expect((await refresh(app, user.refreshToken)).statusCode).toBe(401);
  });

  it('refreshing an existing session still works (PostgreSQL only)', async () => {
    const user = await createUser(app);
    const response = await refresh(down, user.refreshToken);
    expect(response.statusCode).toBe(200);
    expect((await me(down, response.json().access_token)).statusCode).toBe(200);
  });

  it('login fails closed with 503 and Retry-After instead of going unthrottled', async () => {
    const user = await createUser(app);
    const response = await down.inject({
      method: 'POST',
      url: '/api/v1/auth/token',
      payload: { username: user.email, password: user.password },
    });
    expect(response.statusCode).toBe(503);
    expect(response.headers['retry-after']).toBe('5');
    problemOf(response);
  });
});
