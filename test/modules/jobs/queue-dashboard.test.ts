// bull-board at /admin/queues: only admins get in, with HTTP Basic (an admin account's email
// and password, checked once and then carried by a short session cookie) or an admin bearer
// token; everyone else gets a 401 problem. Wrong passwords hit the credential rate limit, and the
// sub-application has a CSP of its own that lets its web fonts load.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../../src/compose/api.js';
import { PasswordHasher } from '../../../src/modules/auth/password-hasher.js';
import { DASHBOARD_SESSION_TTL_SECONDS } from '../../../src/modules/queue-dashboard/admin-credentials.js';
import { DASHBOARD_COOKIE } from '../../../src/modules/queue-dashboard/queue-dashboard.routes.js';
import { buildTestApp, problemOf } from '../../helpers/app.js';
import { randomIp } from '../../helpers/factories/clients.js';
import { createAdmin, createUser, type TestUser } from '../../helpers/factories/users.js';

/** Counts bcrypt verifications (the dashboard must not run one per request). */
class CountingHasher extends PasswordHasher {
  verifies = 0;
  override async verify(password: string, stored: string): Promise<boolean> {
    this.verifies += 1;
    return super.verify(password, stored);
  }
}

const hasher = new CountingHasher(4);
let app: App;
let admin: TestUser;
let user: TestUser;

const basic = (email: string, password: string) => ({
  authorization: `Basic ${Buffer.from(`${email}:${password}`).toString('base64')}`,
});
const get = (url: string, headers: Record<string, string> = {}, remoteAddress?: string) =>
  app.inject({ method: 'GET', url, headers, ...(remoteAddress ? { remoteAddress } : {}) });

/** Logs in with Basic and returns the session cookie as a request header. */
async function sessionOf(account: TestUser): Promise<{ cookie: string }> {
  const response = await get('/admin/queues/api/queues', basic(account.email, account.password));
  expect(response.statusCode).toBe(200);
  const cookie = response.cookies.find((c) => c.name === DASHBOARD_COOKIE);
  expect(cookie).toBeDefined();
  return { cookie: `${DASHBOARD_COOKIE}=${cookie!.value}` };
}

beforeAll(async () => {
  app = await buildTestApp({ overrides: { passwordHasher: hasher } });
  [admin, user] = await Promise.all([createAdmin(app), createUser(app)]);
});
afterAll(() => app.close());

describe('GET /admin/queues', () => {
  it('asks for credentials with a 401 problem and a Basic challenge', async () => {
    const response = await get('/admin/queues');
    expect(response.statusCode).toBe(401);
    expect(response.headers['www-authenticate']).toBe('Basic realm="queues", charset="UTF-8"');
    expect(problemOf(response)).toMatchObject({ status: 401, instance: '/admin/queues' });
  });

  it('lets an admin in with HTTP Basic and serves the dashboard and its API', async () => {
    const page = await get('/admin/queues', basic(admin.email, admin.password));
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.body).toContain('/admin/queues');

    const api = await get('/admin/queues/api/queues', basic(admin.email, admin.password));
    expect(api.statusCode).toBe(200);
    const names = api.json<{ queues: { name: string }[] }>().queues.map((queue) => queue.name);
    expect(names).toEqual(expect.arrayContaining(['email', 'imports', 'reports']));
  });

  it('lets an admin in with a bearer token', async () => {
    expect((await get('/admin/queues/api/queues', admin.headers)).statusCode).toBe(200);
  });

  it('refuses a wrong password, an unknown email, a non-admin account and a non-admin token', async () => {
    for (const headers of [
      basic(admin.email, 'wrong-password'),
      basic('nobody@example.com', 'whatever'),
      basic(user.email, user.password),
      user.headers,
      { authorization: 'Basic !!!' },
    ]) {
      const response = await get('/admin/queues/api/queues', headers);
      expect(response.statusCode).toBe(401);
      expect(problemOf(response).status).toBe(401);
    }
  });

  it('guards the static files of the sub-application too', async () => {
    const response = await get('/admin/queues/static/favicon-32x32.png');
    expect(response.statusCode).toBe(401);
  });
});

describe('the session cookie after a Basic login', () => {
  it('is signed, httpOnly, SameSite=Strict, scoped to /admin/queues and short-lived', async () => {
    const response = await get('/admin/queues/api/queues', basic(admin.email, admin.password));
    expect(response.statusCode).toBe(200);
    const cookie = response.cookies.find((c) => c.name === DASHBOARD_COOKIE);
    expect(cookie).toMatchObject({
      httpOnly: true,
      sameSite: 'Strict',
      path: '/admin/queues',
      maxAge: DASHBOARD_SESSION_TTL_SECONDS,
    });
    expect(DASHBOARD_SESSION_TTL_SECONDS).toBeLessThanOrEqual(15 * 60);
    // `<session id>.<HMAC>`: the id alone, or a changed signature, is refused below.
    expect(cookie!.value).toMatch(/^[0-9a-f-]{36}\.[\w+/=-]+$/);
  });

  it('runs bcrypt once for the Basic login, never for the polls that follow', async () => {
    const before = hasher.verifies;
    const session = await sessionOf(admin);
    expect(hasher.verifies - before).toBe(1);
    // A browser keeps sending its cached Basic header along with the cookie; bull-board polls.
    for (let i = 0; i < 5; i++) {
      expect(
        (await get('/admin/queues/api/queues', { ...basic(admin.email, admin.password), ...session })).statusCode,
      ).toBe(200);
    }
    expect((await get('/admin/queues', session)).statusCode).toBe(200);
    expect(hasher.verifies - before).toBe(1);
  });

  it('refuses a forged or tampered cookie with the 401 challenge, and clears it', async () => {
    const { cookie } = await sessionOf(admin);
    const value = cookie.slice(DASHBOARD_COOKIE.length + 1);
    const [id] = value.split('.');
    for (const forged of [
      `${id}`,
      `${id}.AAAA`,
      `${value.slice(0, -2)}xx`,
      `00000000-0000-4000-8000-000000000000.${value.split('.')[1]}`,
    ]) {
      const response = await get('/admin/queues/api/queues', { cookie: `${DASHBOARD_COOKIE}=${forged}` });
      expect(response.statusCode).toBe(401);
      expect(response.headers['www-authenticate']).toMatch(/^Basic realm="queues"/);
      expect(response.cookies.find((c) => c.name === DASHBOARD_COOKIE)?.value).toBe('');
    }
  });

  it("ends with the admin's sessions: a password change, a deactivation, a demotion, its expiry", async () => {
    const admins = () => createAdmin(app);
    const [changed, deactivated, demoted, expired] = await Promise.all([admins(), admins(), admins(), admins()]);
    const sessions = await Promise.all([changed, deactivated, demoted, expired].map((account) => sessionOf(account)));
    for (const session of sessions) expect((await get('/admin/queues/api/queues', session)).statusCode).toBe(200);

    const patch = (url: string, headers: Record<string, string>, payload: object) =>
      app.inject({ method: 'PATCH', url, headers, payload });
    expect(
      (
        await patch('/api/v1/users/me', changed.headers, {
          password: 'a-brand-new-password',
          currentPassword: changed.password,
        })
      ).statusCode,
    ).toBe(200);
    expect((await patch(`/api/v1/users/${deactivated.id}`, admin.headers, { isActive: false })).statusCode).toBe(200);
    expect((await patch(`/api/v1/users/${demoted.id}`, admin.headers, { role: 'USER' })).statusCode).toBe(200);
    await app.prisma.refreshToken.updateMany({
      where: { userId: expired.id, usedAt: { not: null } },
      data: { expiresAt: new Date(Date.now() - 1000) },
    });

    for (const session of sessions) expect((await get('/admin/queues/api/queues', session)).statusCode).toBe(401);
    // Reactivating the account or restoring the role does not revive the session.
    await patch(`/api/v1/users/${deactivated.id}`, admin.headers, { isActive: true });
    expect((await get('/admin/queues/api/queues', sessions[1]!)).statusCode).toBe(401);
  });
});

describe('wrong Basic passwords (the credential rate limit)', () => {
  let limited: App;
  beforeAll(async () => {
    limited = await buildTestApp({ env: { LOGIN_RATE_LIMIT_MAX: '3' }, overrides: { passwordHasher: hasher } });
  });
  afterAll(() => limited.close());

  const attempt = (remoteAddress: string, password: string, email = admin.email) =>
    limited.inject({ method: 'GET', url: '/admin/queues/api/queues', remoteAddress, headers: basic(email, password) });

  it('answers 429 with Retry-After after LOGIN_RATE_LIMIT_MAX wrong passwords, without running bcrypt', async () => {
    const attacker = randomIp();
    const statuses: number[] = [];
    const before = hasher.verifies;
    for (let i = 0; i < 12; i++) statuses.push((await attempt(attacker, `guess-${i}`)).statusCode);
    expect(statuses).toEqual([401, 401, 401, ...Array(9).fill(429)]);
    expect(hasher.verifies - before).toBe(3);

    const limitedResponse = await attempt(attacker, admin.password);
    expect(limitedResponse.statusCode).toBe(429);
    expect(Number(limitedResponse.headers['retry-after'])).toBeGreaterThan(0);
    expect(problemOf(limitedResponse)).toMatchObject({
      status: 429,
      detail: expect.stringMatching(/Too many attempts/),
    });
    // The owner, from elsewhere, is not locked out.
    expect((await attempt(randomIp(), admin.password)).statusCode).toBe(200);
  });

  it('does not spend the budget on right passwords', async () => {
    const ip = randomIp();
    for (let i = 0; i < 5; i++) expect((await attempt(ip, admin.password)).statusCode).toBe(200);
  });
});

describe('Content-Security-Policy of the dashboard', () => {
  const directives = (header: unknown) =>
    Object.fromEntries(
      String(header)
        .split(';')
        .map((part) => part.trim().split(/\s+/))
        .map(([name, ...values]) => [name, values]),
    );

  it('lets the page load its Google Fonts stylesheet and font files, and nothing else from outside', async () => {
    for (const response of [await get('/admin/queues', admin.headers), await get('/admin/queues')]) {
      const csp = directives(response.headers['content-security-policy']);
      expect(csp['style-src']).toEqual(["'self'", "'unsafe-inline'", 'https://fonts.googleapis.com']);
      expect(csp['font-src']).toEqual(["'self'", 'https://fonts.gstatic.com']);
      expect(csp['script-src']).toEqual(["'self'"]);
      expect(csp['default-src']).toEqual(["'self'"]);
      expect(csp['connect-src']).toEqual(["'self'"]);
    }
    const page = await get('/admin/queues', admin.headers);
    expect(page.body).toContain('https://fonts.googleapis.com/css2');
  });

  it("leaves the API's own policy as it was", async () => {
    const csp = String((await get('/api/v1/info')).headers['content-security-policy']);
    expect(csp).not.toContain('fonts.googleapis.com');
    expect(csp).not.toContain('fonts.gstatic.com');
  });
});
