// Refresh tokens: rotation, reuse detection, the race between concurrent refreshes (on two
// instances), the cookie, and the absolute lifetime of a family.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../../src/compose/api.js';
import { hashToken } from '../../../src/modules/auth/tokens.js';
import { buildTestApp, problemOf } from '../../helpers/app.js';
import { createUser } from '../../helpers/factories/users.js';

let app: App;
let other: App;

beforeAll(async () => {
  [app, other] = await Promise.all([buildTestApp(), buildTestApp()]);
});
afterAll(() => Promise.all([app.close(), other.close()]));

const refresh = (target: App, refresh_token: string) =>
  target.inject({ method: 'POST', url: '/api/v1/auth/refresh', payload: { refresh_token } });

function cookieOf(response: { cookies: Array<{ name: string; value: string; expires?: Date }> }) {
  return response.cookies.find((c) => c.name === 'refresh_token');
}

describe('POST /api/v1/auth/refresh', () => {
  it('rotates: a new pair, and the old refresh token dies', async () => {
    const user = await createUser(app);
    const first = await refresh(app, user.refreshToken);
    expect(first.statusCode).toBe(200);
    expect(first.headers['cache-control']).toBe('no-store');
    const pair = first.json<{ access_token: string; refresh_token: string }>();
    expect(pair.refresh_token).not.toBe(user.refreshToken);
    expect(
      (
        await app.inject({
          method: 'GET',
          url: '/api/v1/users/me',
          headers: { authorization: `Bearer ${pair.access_token}` },
        })
      ).statusCode,
    ).toBe(200);

    const rows = await app.prisma.refreshToken.findMany({ where: { userId: user.id }, orderBy: { createdAt: 'asc' } });
    expect(rows).toHaveLength(2);
    expect(new Set(rows.map((r) => r.familyId)).size).toBe(1);
    expect(rows[0]!.usedAt).not.toBeNull();
    expect(rows[1]!.tokenHash).toBe(hashToken(pair.refresh_token));
  });

  it('reusing a rotated token revokes the whole family, including its newest tokens', async () => {
    const user = await createUser(app);
    const rotated = (await refresh(app, user.refreshToken)).json<{ access_token: string; refresh_token: string }>();

    const replay = await refresh(app, user.refreshToken);
    expect(replay.statusCode).toBe(401);
    expect(problemOf(replay).detail).toMatch(/already used/);

    // The legitimate holder of the newest tokens is logged out too.
    expect((await refresh(app, rotated.refresh_token)).statusCode).toBe(401);
    const me = await other.inject({
      method: 'GET',
      url: '/api/v1/users/me',
      headers: { authorization: `Bearer ${rotated.access_token}` },
    });
    expect(me.statusCode).toBe(401);
    const live = await app.prisma.refreshToken.count({ where: { userId: user.id, revokedAt: null } });
    expect(live).toBe(0);
  });

  it('two concurrent refreshes of one token on two instances: exactly one wins', async () => {
    const user = await createUser(app);
    const attempts = await Promise.all(
      [app, other, app, other, app, other].map((target) => refresh(target, user.refreshToken)),
    );
    const statuses = attempts.map((r) => r.statusCode).sort();
    expect(statuses).toEqual([200, 401, 401, 401, 401, 401]);
    // Exactly one successor was ever written: the losers wrote nothing.
    const rows = await app.prisma.refreshToken.findMany({ where: { userId: user.id } });
    expect(rows).toHaveLength(2);
    expect(rows.filter((r) => r.usedAt !== null)).toHaveLength(1);
  });

  it('sets the refresh token as an httpOnly SameSite=Strict cookie scoped to the auth path, and accepts it back', async () => {
    const user = await createUser(app);
    const login = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/token',
      payload: { username: user.email, password: user.password },
    });
    const cookie = cookieOf(login);
    expect(cookie).toMatchObject({
      httpOnly: true,
      sameSite: 'Strict',
      path: '/api/v1/auth',
      value: login.json().refresh_token,
    });
    expect(cookie).not.toHaveProperty('secure'); // Secure only in production
    expect(cookie!.expires!.getTime()).toBeGreaterThan(Date.now() + 6 * 24 * 3600 * 1000);

    const viaCookie = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/refresh',
      cookies: { refresh_token: cookie!.value },
    });
    expect(viaCookie.statusCode).toBe(200);
    expect(cookieOf(viaCookie)?.value).toBe(viaCookie.json().refresh_token);
  });

  it('marks the cookie Secure in production mode', async () => {
    const prod = await buildTestApp({
      env: {
        NODE_ENV: 'production',
        METRICS_PASSWORD: 'a-real-metrics-password',
        ADMIN_PASSWORD: 'a-real-admin-password',
        LOG_LEVEL: 'silent',
      },
    });
    try {
      const user = await createUser(prod);
      const login = await prod.inject({
        method: 'POST',
        url: '/api/v1/auth/token',
        payload: { username: user.email, password: user.password },
      });
      expect(cookieOf(login)).toMatchObject({ secure: true, httpOnly: true, sameSite: 'Strict' });
    } finally {
      await prod.close();
    }
  });

  it('keeps the absolute lifetime of the family: rotation never extends it', async () => {
    const user = await createUser(app);
    const [original] = await app.prisma.refreshToken.findMany({ where: { userId: user.id } });
    const next = (await refresh(app, user.refreshToken)).json<{ refresh_token: string }>();
    const successor = await app.prisma.refreshToken.findUniqueOrThrow({
      where: { tokenHash: hashToken(next.refresh_token) },
    });
    expect(successor.expiresAt.getTime()).toBe(original!.expiresAt.getTime());
  });

  it('refuses an expired refresh token without revoking anything else', async () => {
    const user = await createUser(app);
    // A second, live session of the same user, which must survive.
    const second = (
      await app.inject({
        method: 'POST',
        url: '/api/v1/auth/token',
        payload: { username: user.email, password: user.password },
      })
    ).json<{ access_token: string; refresh_token: string }>();
    const expired = await app.prisma.refreshToken.update({
      where: { tokenHash: hashToken(user.refreshToken) },
      data: { expiresAt: new Date(Date.now() - 1000) },
    });

    const response = await refresh(app, user.refreshToken);
    expect(response.statusCode).toBe(401);
    expect(problemOf(response).detail).toBe('The refresh token is invalid or expired');

    // An expired token is not a replay: nothing is marked revoked or used, no successor is written.
    const rows = await app.prisma.refreshToken.findMany({ where: { userId: user.id } });
    expect(rows).toHaveLength(2);
    expect(rows.every((row) => row.revokedAt === null && row.usedAt === null)).toBe(true);
    // Access tokens of both sessions still work, on either instance (nothing went on the deny-list).
    const me = (target: App, accessToken: string) =>
      target.inject({ method: 'GET', url: '/api/v1/users/me', headers: { authorization: `Bearer ${accessToken}` } });
    expect((await me(other, user.accessToken)).statusCode).toBe(200);
    expect((await me(app, second.access_token)).statusCode).toBe(200);
    // The other session still rotates.
    expect((await refresh(other, second.refresh_token)).statusCode).toBe(200);
    expect(
      await app.prisma.refreshToken.count({ where: { familyId: expired.familyId, revokedAt: { not: null } } }),
    ).toBe(0);
  });

  it('honours REFRESH_TOKEN_TTL', async () => {
    const shortLived = await buildTestApp({ env: { REFRESH_TOKEN_TTL: '90' } });
    try {
      const user = await createUser(shortLived);
      const [row] = await shortLived.prisma.refreshToken.findMany({ where: { userId: user.id } });
      const lifetime = row!.expiresAt.getTime() - row!.createdAt.getTime();
      expect(lifetime).toBeGreaterThan(85_000);
      expect(lifetime).toBeLessThan(95_000);
    } finally {
      await shortLived.close();
    }
  });

  it('refuses an access token presented as a refresh token, and a made-up one', async () => {
    const user = await createUser(app);
    expect((await refresh(app, user.accessToken)).statusCode).toBe(401);
    expect((await refresh(app, 'x'.repeat(43))).statusCode).toBe(401);
  });

  it('needs a token: none in body or cookie is 401, a malformed body 422', async () => {
    const none = await app.inject({ method: 'POST', url: '/api/v1/auth/refresh' });
    expect(none.statusCode).toBe(401);
    expect(problemOf(none).detail).toMatch(/refresh token is required/);
    const bad = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/refresh',
      payload: { refresh_token: 42, extra: true },
    });
    expect(bad.statusCode).toBe(422);
  });

  it('refuses the refresh of a deactivated user', async () => {
    const user = await createUser(app);
    await app.prisma.user.update({ where: { id: user.id }, data: { isActive: false } });
    expect((await refresh(app, user.refreshToken)).statusCode).toBe(401);
  });
});
