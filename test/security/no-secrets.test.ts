// Walks the main flows while recording every response (headers and body) and every log line,
// then searches them for anything secret: passwords, bcrypt hashes, token hashes, field names
// of secret columns. A response schema or a log call that leaks would fail here.
import { createMailDelivery } from '../../src/infra/mail/mail-delivery.js';
import { createHash } from 'node:crypto';
import type { InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/compose/api.js';
import { LogMailer, type MailMessage, type Mailer } from '../../src/infra/mail/mailer.js';
import { hashToken } from '../../src/modules/auth/tokens.js';
import { buildTestApp } from '../helpers/app.js';
import { createAdmin, createUser, type TestUser } from '../helpers/factories/users.js';

/** One response as it left the server: its headers (Set-Cookie included) and its body. */
interface Sent {
  method: string;
  url: string;
  text: string;
}

/**
 * The mail port of the app: keeps each message (the test reads the reset link from it, as a
 * user reads their inbox) and hands it to the log adapters, so their log lines are checked too.
 */
class InboxMailer implements Mailer {
  readonly sent: MailMessage[] = [];
  deliveries: Mailer[] = [];
  async send(message: MailMessage) {
    this.sent.push(message);
    for (const delivery of this.deliveries) await delivery.send(message);
  }
}

const sent: Sent[] = [];
const logLines: string[] = [];
const inbox = new InboxMailer();
let app: App;
let admin: TestUser;
let user: TestUser;

beforeAll(async () => {
  app = await buildTestApp({
    env: { LOG_LEVEL: 'debug' },
    overrides: { mailer: inbox },
    logStream: { write: (line: string) => logLines.push(line) },
    extend: (instance) =>
      instance.addHook('onSend', async (request, reply, payload) => {
        sent.push({
          method: request.method,
          url: request.url,
          text: `${JSON.stringify(reply.getHeaders())}\n${typeof payload === 'string' ? payload : ''}`,
        });
        return payload;
      }),
  });
  inbox.deliveries = [
    // What the app delivers without SMTP outside development: the envelope only.
    createMailDelivery(app.config, app.log),
    // The development channel: the whole email, reset link included, in the log (see below).
    new LogMailer(app.log, true),
  ];
  admin = await createAdmin(app);
  user = await createUser(app);
});
afterAll(() => app.close());

const DEV_MAIL_LOG_MESSAGE = 'email (not sent: SMTP_URL is unset)';

describe('secrets never leave', () => {
  it('in responses or logs, across the main flows', async () => {
    // The log-ins that created the users legitimately returned their tokens; start afresh.
    sent.length = 0;
    logLines.length = 0;
    const calls: InjectOptions[] = [
      { method: 'GET', url: '/api/v1/users/me', headers: user.headers },
      { method: 'PATCH', url: '/api/v1/users/me', headers: user.headers, payload: { name: 'New name' } },
      {
        method: 'PATCH',
        url: '/api/v1/users/me',
        headers: user.headers,
        payload: { password: 'another-password-1', currentPassword: user.password },
      },
      { method: 'POST', url: '/api/v1/auth/token', payload: { username: user.email, password: 'another-password-1' } },
      { method: 'POST', url: '/api/v1/auth/token', payload: { username: user.email, password: 'wrong-password' } },
      { method: 'GET', url: '/api/v1/users?limit=100', headers: admin.headers },
      { method: 'GET', url: `/api/v1/users/${user.id}`, headers: admin.headers },
      { method: 'PATCH', url: `/api/v1/users/${user.id}`, headers: admin.headers, payload: { name: 'By admin' } },
      { method: 'POST', url: '/api/v1/items', headers: admin.headers, payload: { name: 'Secret check', price: 3 } },
      { method: 'GET', url: '/api/v1/items?limit=100' },
      { method: 'GET', url: '/openapi.json' },
    ];
    for (const call of calls) {
      const response = await app.inject(call);
      expect(response.statusCode).toBeLessThan(500);
    }

    const users = await app.prisma.user.findMany({ where: { id: { in: [user.id, admin.id] } } });
    const tokens = await app.prisma.refreshToken.findMany({ where: { userId: { in: [user.id, admin.id] } } });
    const forbidden = [
      user.password,
      admin.password,
      'another-password-1',
      'wrong-password',
      user.refreshToken,
      admin.refreshToken,
      createHash('sha256').update(user.refreshToken).digest('hex'),
      ...users.map((u) => u.passwordHash),
      ...users.map((u) => u.passwordHash.slice(3, 32)),
      ...tokens.map((t) => t.tokenHash),
    ];
    const responses = sent.map((r) => r.text).join('\n');
    const logs = logLines.join('\n');
    expect(responses.length).toBeGreaterThan(1000);
    expect(logs.length).toBeGreaterThan(1000);
    for (const secret of forbidden) {
      expect(responses).not.toContain(secret);
      expect(logs).not.toContain(secret);
    }
    // Field names of secret columns never appear in a response body.
    expect(responses).not.toMatch(/passwordHash|password_hash|tokenHash|token_hash|keyHash/);
    expect(responses).not.toMatch(/\$2[aby]\$\d\d\$/);
    // The access token itself is logged nowhere (authorization headers are redacted).
    expect(logs).not.toContain(user.accessToken);
    expect(logs).not.toContain(admin.accessToken);
  });
});

describe('secrets never leave in the auth flows', () => {
  it('refresh, logout, API keys and password reset: no token, key, hash or password in a response or a log line', async () => {
    const holder = await createUser(app);
    sent.length = 0;
    logLines.length = 0;
    inbox.sent.length = 0;
    const call = async (options: InjectOptions, expected: number) => {
      const response = await app.inject(options);
      expect(response.statusCode, `${options.method} ${options.url}: ${response.body}`).toBe(expected);
      return response;
    };
    const presentedRefreshTokens: string[] = [];
    const issued = { access: [holder.accessToken], refresh: [holder.refreshToken] };
    const keep = (response: { json: <T>() => T }) => {
      const pair = response.json<{ access_token: string; refresh_token: string }>();
      issued.access.push(pair.access_token);
      issued.refresh.push(pair.refresh_token);
      return pair;
    };

    // --- refresh: with the token in the body, then in the cookie; a made-up one is refused.
    presentedRefreshTokens.push(holder.refreshToken);
    const byBody = keep(
      await call({ method: 'POST', url: '/api/v1/auth/refresh', payload: { refresh_token: holder.refreshToken } }, 200),
    );
    presentedRefreshTokens.push(byBody.refresh_token);
    const byCookie = keep(
      await call(
        { method: 'POST', url: '/api/v1/auth/refresh', cookies: { refresh_token: byBody.refresh_token } },
        200,
      ),
    );
    await call({ method: 'POST', url: '/api/v1/auth/refresh', payload: { refresh_token: 'x'.repeat(43) } }, 401);
    const bearer = { authorization: `Bearer ${byCookie.access_token}` };

    // --- API keys: create (the one response that may hold the key), list, get, use, misuse, delete.
    const sentBeforeKey = sent.length;
    const created = await call(
      { method: 'POST', url: '/api/v1/users/me/api-keys', headers: bearer, payload: { name: 'leak check' } },
      201,
    );
    expect(sent.length).toBe(sentBeforeKey + 1);
    const creation = sent[sentBeforeKey]!;
    const { id: keyId, key } = created.json<{ id: number; key: string }>();
    await call({ method: 'GET', url: '/api/v1/users/me/api-keys', headers: bearer }, 200);
    await call({ method: 'GET', url: `/api/v1/users/me/api-keys/${keyId}`, headers: bearer }, 200);
    await call({ method: 'GET', url: '/api/v1/users/me', headers: { 'x-api-key': key } }, 200);
    await call(
      { method: 'POST', url: '/api/v1/items', headers: { 'x-api-key': key }, payload: { name: 'via key', price: 2 } },
      201,
    );
    await call(
      { method: 'POST', url: '/api/v1/items', headers: { 'x-api-key': key }, payload: { name: 'via key', price: -1 } },
      422,
    );
    await call(
      {
        method: 'POST',
        url: '/api/v1/users/me/api-keys',
        headers: { 'x-api-key': key },
        payload: { name: 'successor' },
      },
      403,
    );
    await call({ method: 'POST', url: '/api/v1/auth/logout', headers: { 'x-api-key': key } }, 401);
    // A client that puts the key in the URL by mistake: it must not reach the log either.
    await call({ method: 'GET', url: `/api/v1/users/me?api_key=${key}` }, 401);
    // One character changed, always to another: replacing the last with 'A' left 1 key in 16 as it
    // was (that character carries 4 bits, and 'A' is one of its 16 values), and the call got 200.
    const tampered = `${key.slice(0, 10)}${key[10] === 'x' ? 'y' : 'x'}${key.slice(11)}`;
    await call({ method: 'GET', url: '/api/v1/users/me', headers: { 'x-api-key': tampered } }, 401);
    await call({ method: 'DELETE', url: `/api/v1/users/me/api-keys/${keyId}`, headers: bearer }, 204);
    await call({ method: 'GET', url: '/api/v1/users/me', headers: { 'x-api-key': key } }, 401);

    // --- logout with the bearer token and the refresh cookie.
    presentedRefreshTokens.push(byCookie.refresh_token);
    await call(
      {
        method: 'POST',
        url: '/api/v1/auth/logout',
        headers: bearer,
        cookies: { refresh_token: byCookie.refresh_token },
      },
      204,
    );

    // --- password reset: request, read the emailed token, confirm, confirm again.
    await call({ method: 'POST', url: '/api/v1/auth/password-reset/request', payload: { email: holder.email } }, 202);
    await app.services.auth.passwordReset.idle();
    const email = inbox.sent.find((m) => m.to === holder.email);
    const resetToken = decodeURIComponent(/token=([^\s&]+)/.exec(email?.text ?? '')?.[1] ?? '');
    expect(resetToken.length).toBeGreaterThanOrEqual(43);
    const newPassword = 'reset-password-for-leak-check';
    await call(
      {
        method: 'POST',
        url: '/api/v1/auth/password-reset/confirm',
        payload: { token: resetToken, password: newPassword },
      },
      204,
    );
    await call(
      {
        method: 'POST',
        url: '/api/v1/auth/password-reset/confirm',
        payload: { token: resetToken, password: 'another-one-123' },
      },
      400,
    );
    keep(
      await call(
        { method: 'POST', url: '/api/v1/auth/token', payload: { username: holder.email, password: newPassword } },
        200,
      ),
    );

    const keyRow = await app.prisma.apiKey.findUniqueOrThrow({ where: { id: keyId } });
    const refreshRows = await app.prisma.refreshToken.findMany({ where: { userId: holder.id } });
    const resetRows = await app.prisma.passwordResetToken.findMany({ where: { userId: holder.id } });
    const holderRow = await app.prisma.user.findUniqueOrThrow({ where: { id: holder.id } });
    expect(keyRow.keyHash).toBe(hashToken(key));
    expect(resetRows.map((r) => r.tokenHash)).toContain(hashToken(resetToken));

    const hashes = [
      keyRow.keyHash,
      ...refreshRows.map((r) => r.tokenHash),
      ...resetRows.map((r) => r.tokenHash),
      holderRow.passwordHash,
      holderRow.passwordHash.slice(3, 32),
    ];
    const passwords = [holder.password, newPassword, 'another-one-123'];

    // The one deliberate exception: the development mail channel writes the whole email, reset
    // link included, to the log, because reading it there is how a developer without SMTP
    // resets a password (src/lib/mail.ts; outside development only the envelope is logged).
    // Exactly those lines are set aside, and only for the reset token.
    const parsed = logLines.map((line) => ({
      line,
      json: JSON.parse(line) as { msg?: string; mail?: { subject?: string } },
    }));
    const devMailLines = parsed
      .filter(({ json }) => json.msg === DEV_MAIL_LOG_MESSAGE && json.mail?.subject === 'Reset your password')
      .map(({ line }) => line);
    expect(devMailLines).toHaveLength(1);
    expect(devMailLines[0]).toContain(resetToken);
    const logsWithoutDevMail = parsed
      .filter(({ line }) => !devMailLines.includes(line))
      .map(({ line }) => line)
      .join('\n');
    const allLogs = logLines.join('\n');
    // The envelope-only adapter (what runs outside development) logged the email without its body.
    expect(parsed.some(({ json }) => json.msg?.startsWith('email (not sent: SMTP_URL is unset; body withheld'))).toBe(
      true,
    );

    const responses = sent.map((r) => r.text).join('\n');
    const afterCreation = sent
      .filter((r) => r !== creation)
      .map((r) => r.text)
      .join('\n');
    expect(sent.length).toBeGreaterThan(15);
    expect(logLines.length).toBeGreaterThan(15);

    // The API key: in its creation response, then never again; in no log line ever.
    expect(creation.text).toContain(key);
    expect(afterCreation).not.toContain(key);
    expect(afterCreation).not.toContain(key.slice(12));
    expect(allLogs).not.toContain(key);
    expect(allLogs).not.toContain(key.slice(12));
    // The reset token: in no response, and in no log line but the development email.
    expect(responses).not.toContain(resetToken);
    expect(logsWithoutDevMail).not.toContain(resetToken);
    for (const line of devMailLines) {
      for (const secret of [key, ...hashes, ...passwords, ...issued.refresh, ...issued.access])
        expect(line).not.toContain(secret);
    }
    // Hashes and passwords: nowhere, creation response included.
    for (const secret of [...hashes, ...passwords]) {
      expect(responses).not.toContain(secret);
      expect(allLogs).not.toContain(secret);
    }
    // Refresh and access tokens travel in responses (that is their point), never in the log.
    for (const token of [...issued.refresh, ...issued.access]) expect(allLogs).not.toContain(token);
    // A refresh token once presented (rotated or logged out) is never echoed back afterwards.
    for (const token of presentedRefreshTokens) {
      const firstUse = sent.findIndex((r) => r.text.includes(token));
      const later = sent.slice(firstUse + 1).filter((r) => r.text.includes(token));
      expect(later.map((r) => `${r.method} ${r.url}`)).toEqual([]);
    }
    expect(responses).not.toMatch(/passwordHash|password_hash|tokenHash|token_hash|keyHash|key_hash/);
  });
});
