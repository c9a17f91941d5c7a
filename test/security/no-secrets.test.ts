// Walks the main flows while recording every response (headers and body) and every log line,
// then searches them for anything secret: passwords, bcrypt hashes, token hashes, field names
// of secret columns. A response schema or a log call that leaks would fail here.
import { createHash } from 'node:crypto';
import type { InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.js';
import { buildTestApp, createUser, type TestUser } from '../helpers/app.js';

const seen: string[] = [];
const logLines: string[] = [];
let app: App;
let admin: TestUser;
let user: TestUser;

beforeAll(async () => {
  app = await buildTestApp({
    env: { LOG_LEVEL: 'debug' },
    logStream: { write: (line: string) => logLines.push(line) },
    extend: (instance) =>
      instance.addHook('onSend', async (_request, reply, payload) => {
        seen.push(JSON.stringify(reply.getHeaders()), typeof payload === 'string' ? payload : '');
        return payload;
      }),
  });
  admin = await createUser(app, { role: 'ADMIN' });
  user = await createUser(app);
});
afterAll(() => app.close());

describe('secrets never leave', () => {
  it('in responses or logs, across the main flows', async () => {
    // The log-ins that created the users legitimately returned their tokens; start afresh.
    seen.length = 0;
    logLines.length = 0;
    const calls: InjectOptions[] = [
      { method: 'GET', url: '/api/v1/users/me', headers: user.headers },
      { method: 'PATCH', url: '/api/v1/users/me', headers: user.headers, payload: { name: 'New name' } },
      { method: 'PATCH', url: '/api/v1/users/me', headers: user.headers, payload: { password: 'another-password-1', currentPassword: user.password } },
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
    const responses = seen.join('\n');
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
