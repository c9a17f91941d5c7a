// The access-token verifier refuses everything but an unexpired HS256 access token of a live
// user. The tests sign their own tokens (node:crypto), so the library cannot be trusted blindly.
import { createHmac, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../../src/compose/api.js';
import { TEST_JWT_SECRET, buildTestApp } from '../../helpers/app.js';
import { createUser, type TestUser } from '../../helpers/factories/users.js';

let app: App;
let user: TestUser;
let claims: Record<string, unknown>;

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const HMAC: Record<string, string> = { HS256: 'sha256', HS384: 'sha384', HS512: 'sha512' };

/** Signs header.payload with HMAC (or nothing for `none`), exactly as an attacker would. */
function sign(payload: Record<string, unknown>, { alg = 'HS256', secret = TEST_JWT_SECRET, typ = 'JWT' } = {}): string {
  const input = `${b64({ alg, typ })}.${b64(payload)}`;
  const hash = HMAC[alg];
  const signature = hash ? createHmac(hash, secret).update(input).digest('base64url') : '';
  return `${input}.${signature}`;
}

const now = () => Math.floor(Date.now() / 1000);
const me = (token: string) =>
  app.inject({ method: 'GET', url: '/api/v1/users/me', headers: { authorization: `Bearer ${token}` } });

beforeAll(async () => {
  app = await buildTestApp();
  user = await createUser(app);
  claims = JSON.parse(Buffer.from(user.accessToken.split('.')[1]!, 'base64url').toString());
});
afterAll(() => app.close());

describe('JWT hardening', () => {
  it('accepts a correctly signed HS256 access token (control for the helper below)', async () => {
    const response = await me(sign({ ...claims, jti: randomUUID() }));
    expect(response.statusCode).toBe(200);
    expect(response.json().email).toBe(user.email);
  });

  it.each([
    ['alg none, no signature', () => sign(claims, { alg: 'none' })],
    [
      'alg none with a stray signature',
      () => `${sign(claims, { alg: 'none' })}${createHmac('sha256', TEST_JWT_SECRET).update('x').digest('base64url')}`,
    ],
    ['HS512 with the right key', () => sign(claims, { alg: 'HS512' })],
    ['HS384 with the right key', () => sign(claims, { alg: 'HS384' })],
    [
      'RS256 header over an HMAC signature (algorithm confusion)',
      () =>
        sign(claims, { alg: 'RS256' }).replace(
          /\.[^.]*$/,
          `.${createHmac('sha256', TEST_JWT_SECRET)
            .update(sign(claims, { alg: 'RS256' }).split('.').slice(0, 2).join('.'))
            .digest('base64url')}`,
        ),
    ],
    ['HS256 with a wrong key', () => sign(claims, { secret: 'not-the-secret-not-the-secret-not-the-secret' })],
    [
      'a tampered payload (role raised)',
      () => {
        const [h, , s] = user.accessToken.split('.');
        return `${h}.${b64({ ...claims, role: 'ADMIN' })}.${s}`;
      },
    ],
    ['an expired token', () => sign({ ...claims, iat: now() - 3600, exp: now() - 60 })],
    ['a token not valid before the future (nbf)', () => sign({ ...claims, nbf: now() + 3600 })],
    [
      'a token without exp',
      () => {
        const { exp: _exp, ...rest } = claims;
        return sign(rest);
      },
    ],
    ['a token of another type (typ: refresh)', () => sign({ ...claims, typ: 'refresh' })],
    [
      'a token without a session id',
      () => {
        const { sid: _sid, ...rest } = claims;
        return sign(rest);
      },
    ],
    ['a non-numeric subject', () => sign({ ...claims, sub: '1 OR 1=1' })],
    ['three empty segments', () => '..'],
  ])('refuses %s', async (_label, token) => {
    const response = await me(token());
    expect(response.statusCode).toBe(401);
    expect(response.headers['www-authenticate']).toBe('Bearer');
    expect(response.json().detail).not.toMatch(/secret|signature|algorithm/i);
  });

  it('refuses a refresh token presented as an access token', async () => {
    expect((await me(user.refreshToken)).statusCode).toBe(401);
  });

  it('refuses a valid token of a deleted user', async () => {
    const doomed = await createUser(app);
    await app.prisma.user.delete({ where: { id: doomed.id } });
    expect((await me(doomed.accessToken)).statusCode).toBe(401);
  });

  it('refuses a valid token of a deactivated user', async () => {
    const inactive = await createUser(app);
    await app.prisma.user.update({ where: { id: inactive.id }, data: { isActive: false } });
    expect((await me(inactive.accessToken)).statusCode).toBe(401);
  });

  it('signs only HS256 tokens with a jti, a session id and the configured lifetime', () => {
    const header = JSON.parse(Buffer.from(user.accessToken.split('.')[0]!, 'base64url').toString());
    expect(header.alg).toBe('HS256');
    expect(claims).toMatchObject({ typ: 'access', sub: String(user.id) });
    expect(claims.sid).toMatch(/^[0-9a-f-]{36}$/);
    expect((claims.exp as number) - (claims.iat as number)).toBe(app.config.accessTokenTtl);
  });
});
