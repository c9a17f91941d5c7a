// Password reset: 202 whatever the email, one-time hashed token valid 30 minutes, sent through
// the mail port; confirming sets the password and ends every session.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { App } from '../../../src/compose/api.js';
import { LogMailer, type MailMessage, type Mailer } from '../../../src/infra/mail/mailer.js';
import { hashToken } from '../../../src/modules/auth/tokens.js';
import { buildTestApp, problemOf } from '../../helpers/app.js';
import { randomIp } from '../../helpers/factories/clients.js';
import { createApiKey } from '../../helpers/factories/api-keys.js';
import { createUser, uniqueEmail } from '../../helpers/factories/users.js';

class CapturingMailer implements Mailer {
  readonly sent: MailMessage[] = [];
  async send(message: MailMessage) {
    this.sent.push(message);
  }
}

const mailer = new CapturingMailer();
const logLines: string[] = [];
let app: App;

beforeAll(async () => {
  app = await buildTestApp({
    overrides: { mailer },
    env: { LOG_LEVEL: 'info' },
    logStream: { write: (line) => void logLines.push(line) },
  });
});
afterAll(() => app.close());

const requestReset = (email: string) =>
  app.inject({ method: 'POST', url: '/api/v1/auth/password-reset/request', payload: { email } });
const confirm = (token: string, password: string) =>
  app.inject({ method: 'POST', url: '/api/v1/auth/password-reset/confirm', payload: { token, password } });

/** A reset email to the address (sign-up also mails every new user, through the same mailer). */
const resetMailTo = (email: string) => (m: MailMessage) =>
  m.to === email && m.idempotencyKey.startsWith('password-reset:');

/** Waits for the background email to the address and returns the token of its link. */
async function tokenMailedTo(email: string): Promise<string> {
  const message = await vi.waitFor(() => {
    const found = mailer.sent.find(resetMailTo(email));
    if (!found) throw new Error('no email yet');
    return found;
  });
  const match = /token=([\w-]+)/.exec(message.text);
  expect(match).not.toBeNull();
  return decodeURIComponent(match![1]!);
}

describe('password reset', () => {
  it('answers 202 identically for known and unknown emails; only the known one gets mail', async () => {
    const user = await createUser(app);
    const ghost = uniqueEmail('ghost');
    const known = await requestReset(user.email);
    const unknown = await requestReset(ghost);
    expect(known.statusCode).toBe(202);
    expect(unknown.statusCode).toBe(202);
    expect(known.body).toBe(unknown.body);

    const token = await tokenMailedTo(user.email);
    await app.services.auth.passwordReset.idle();
    expect(mailer.sent.some((m) => m.to === ghost)).toBe(false);
    const message = mailer.sent.find(resetMailTo(user.email))!;
    expect(message.subject).toMatch(/reset/i);
    expect(message.idempotencyKey).toMatch(/^password-reset:[0-9a-f-]{36}$/);

    // Stored only as a hash, valid for 30 minutes.
    const row = await app.prisma.passwordResetToken.findUniqueOrThrow({ where: { tokenHash: hashToken(token) } });
    expect(row.userId).toBe(user.id);
    const minutes = (row.expiresAt.getTime() - row.createdAt.getTime()) / 60_000;
    expect(minutes).toBeCloseTo(30, 0);
    expect(logLines.join('\n')).not.toContain(token);
  });

  it('confirm sets the new password, ends every session, and the token works once', async () => {
    const user = await createUser(app);
    await requestReset(user.email);
    const token = await tokenMailedTo(user.email);

    const done = await confirm(token, 'the-new-password-1');
    expect(done.statusCode).toBe(204);

    expect((await app.inject({ method: 'GET', url: '/api/v1/users/me', headers: user.headers })).statusCode).toBe(401);
    expect(
      (await app.inject({ method: 'POST', url: '/api/v1/auth/refresh', payload: { refresh_token: user.refreshToken } }))
        .statusCode,
    ).toBe(401);
    const oldLogin = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/token',
      payload: { username: user.email, password: user.password },
    });
    expect(oldLogin.statusCode).toBe(401);
    const newLogin = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/token',
      payload: { username: user.email, password: 'the-new-password-1' },
    });
    expect(newLogin.statusCode).toBe(200);

    const again = await confirm(token, 'another-password-2');
    expect(again.statusCode).toBe(400);
    expect(problemOf(again).detail).toBe('The reset token is invalid, used or expired');
  });

  it('refuses an expired token and changes nothing', async () => {
    const user = await createUser(app);
    await requestReset(user.email);
    const token = await tokenMailedTo(user.email);
    await app.prisma.passwordResetToken.update({
      where: { tokenHash: hashToken(token) },
      data: { expiresAt: new Date(Date.now() - 1000) },
    });
    const before = await app.prisma.user.findUniqueOrThrow({ where: { id: user.id } });

    expect((await confirm(token, 'the-new-password-1')).statusCode).toBe(400);
    const after = await app.prisma.user.findUniqueOrThrow({ where: { id: user.id } });
    expect(after.passwordHash).toBe(before.passwordHash);
    expect((await app.inject({ method: 'GET', url: '/api/v1/users/me', headers: user.headers })).statusCode).toBe(200);
  });

  it('a newer request makes the older token useless', async () => {
    const user = await createUser(app);
    await requestReset(user.email);
    const first = await tokenMailedTo(user.email);
    mailer.sent.splice(0, mailer.sent.length, ...mailer.sent.filter((m) => !resetMailTo(user.email)(m)));
    await requestReset(user.email);
    const second = await tokenMailedTo(user.email);
    expect(second).not.toBe(first);
    expect((await confirm(first, 'the-new-password-1')).statusCode).toBe(400);
    expect((await confirm(second, 'the-new-password-1')).statusCode).toBe(204);
  });

  it('refuses made-up tokens (400) and validates the body (422)', async () => {
    expect((await confirm('made-up-token', 'the-new-password-1')).statusCode).toBe(400);
    const short = await confirm('whatever', 'short');
    expect(short.statusCode).toBe(422);
    expect(problemOf(short).errors?.map((e) => e.path)).toContain('/body/password');
    const badEmail = await requestReset('not-an-email');
    expect(badEmail.statusCode).toBe(422);
  });

  it('sends nothing to a deactivated account', async () => {
    const user = await createUser(app);
    await app.prisma.user.update({ where: { id: user.id }, data: { isActive: false } });
    expect((await requestReset(user.email)).statusCode).toBe(202);
    await app.services.auth.passwordReset.idle();
    expect(mailer.sent.some(resetMailTo(user.email))).toBe(false);
  });
});

describe('account recovery closes every door', () => {
  const meWithKey = (key: string) =>
    app.inject({ method: 'GET', url: '/api/v1/users/me', headers: { 'x-api-key': key } });

  it('a confirmed reset revokes every API key of the account (and only of that account)', async () => {
    const [user, bystander] = await Promise.all([createUser(app), createUser(app)]);
    const keys = [(await createApiKey(app, user)).key, (await createApiKey(app, user)).key];
    const { key: otherKey } = await createApiKey(app, bystander);
    for (const key of keys) expect((await meWithKey(key)).statusCode).toBe(200);

    await requestReset(user.email);
    expect((await confirm(await tokenMailedTo(user.email), 'the-new-password-1')).statusCode).toBe(204);

    for (const key of keys) expect((await meWithKey(key)).statusCode).toBe(401);
    expect(await app.prisma.apiKey.count({ where: { userId: user.id, revokedAt: null } })).toBe(0);
    expect((await meWithKey(otherKey)).statusCode).toBe(200);
  });

  it('a refused confirm (bad token) revokes nothing', async () => {
    const user = await createUser(app);
    const { key } = await createApiKey(app, user);
    expect((await confirm('made-up-token', 'the-new-password-1')).statusCode).toBe(400);
    expect((await meWithKey(key)).statusCode).toBe(200);
  });

  it.each([
    [
      'a password change',
      (user: { password: string }) => ({ password: 'changed-password-1', currentPassword: user.password }),
    ],
    [
      'an email change',
      (user: { password: string }) => ({ email: uniqueEmail('moved'), currentPassword: user.password }),
    ],
  ])('%s voids an outstanding reset link', async (_label, changes) => {
    const user = await createUser(app);
    await requestReset(user.email);
    const token = await tokenMailedTo(user.email);
    const changed = await app.inject({
      method: 'PATCH',
      url: '/api/v1/users/me',
      headers: user.headers,
      payload: changes(user),
    });
    expect(changed.statusCode).toBe(200);

    const late = await confirm(token, 'the-attackers-password');
    expect(late.statusCode).toBe(400);
    const login = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/token',
      payload: { username: changed.json<{ email: string }>().email, password: 'the-attackers-password' },
    });
    expect(login.statusCode).toBe(401);
  });

  it('a name change leaves the link valid', async () => {
    const user = await createUser(app);
    await requestReset(user.email);
    const token = await tokenMailedTo(user.email);
    expect(
      (
        await app.inject({
          method: 'PATCH',
          url: '/api/v1/users/me',
          headers: user.headers,
          payload: { name: 'Renamed' },
        })
      ).statusCode,
    ).toBe(200);
    expect((await confirm(token, 'the-new-password-1')).statusCode).toBe(204);
  });
});

describe('guessing reset tokens (the credential rate limit, per client)', () => {
  let limited: App;
  beforeAll(async () => {
    limited = await buildTestApp({ env: { LOGIN_RATE_LIMIT_MAX: '3' }, overrides: { mailer } });
  });
  afterAll(() => limited.close());

  const confirmFrom = (remoteAddress: string, token: string) =>
    limited.inject({
      method: 'POST',
      url: '/api/v1/auth/password-reset/confirm',
      remoteAddress,
      payload: { token, password: 'the-new-password-1' },
    });

  it('answers 429 with Retry-After after LOGIN_RATE_LIMIT_MAX wrong tokens; other clients are not affected', async () => {
    const user = await createUser(app);
    await requestReset(user.email);
    const token = await tokenMailedTo(user.email);
    const attacker = randomIp();
    const statuses = [];
    for (let i = 0; i < 5; i++) statuses.push((await confirmFrom(attacker, `guess-${i}`)).statusCode);
    expect(statuses).toEqual([400, 400, 400, 429, 429]);
    const refused = await confirmFrom(attacker, token);
    expect(refused.statusCode).toBe(429);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expect((await confirmFrom(randomIp(), token)).statusCode).toBe(204);
  });
});

describe('LogMailer (the adapter used without SMTP)', () => {
  const message: MailMessage = {
    to: 'a@example.com',
    subject: 'Reset your password',
    text: 'open https://x/reset?token=s3cret',
    idempotencyKey: 'k-1',
  };
  const capture = () => {
    const lines: Array<{ obj: Record<string, unknown>; msg: string }> = [];
    return {
      lines,
      log: {
        debug: () => {},
        info: (obj: object | string, msg?: string) =>
          void lines.push({ obj: (typeof obj === 'string' ? {} : obj) as Record<string, unknown>, msg: msg ?? '' }),
        warn: () => {},
        error: () => {},
      },
    };
  };

  it('logs the envelope but never the body outside development', async () => {
    const { lines, log } = capture();
    await new LogMailer(log, false).send(message);
    expect(lines).toHaveLength(1);
    expect(lines[0]!.obj.mail).toEqual({ to: 'a@example.com', subject: 'Reset your password', idempotencyKey: 'k-1' });
    expect(JSON.stringify(lines)).not.toContain('s3cret');
  });

  it('logs the body in development, where reading the link from the console is the point', async () => {
    const { lines, log } = capture();
    await new LogMailer(log, true).send(message);
    expect(lines[0]!.obj.text).toBe(message.text);
  });
});
