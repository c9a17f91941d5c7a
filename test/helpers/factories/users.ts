// Users for tests: registered and logged in through the public API, like a real client.
import { randomBytes } from 'node:crypto';
import { expect } from 'vitest';
import type { App } from '../../../src/compose/api.js';

export function uniqueEmail(label = 'user'): string {
  return `${label}-${randomBytes(6).toString('hex')}@example.com`;
}

export interface TestUser {
  id: number;
  email: string;
  password: string;
  name: string;
  accessToken: string;
  refreshToken: string;
  headers: { authorization: string };
}

export interface TokenPair {
  access_token: string;
  refresh_token: string;
}

/** Registers a user through the API (optionally promoted to ADMIN in the database) and logs in. */
export async function createUser(
  app: App,
  options: { role?: 'USER' | 'ADMIN'; name?: string } = {},
): Promise<TestUser> {
  const email = uniqueEmail(options.role === 'ADMIN' ? 'admin' : 'user');
  const password = `pw-${randomBytes(8).toString('hex')}`;
  const name = options.name ?? 'Test User';
  const registered = await app.inject({
    method: 'POST',
    url: '/api/v1/auth/register',
    payload: { email, password, name },
  });
  // Sign-up answers 202 without the user (it never tells whether the email was taken).
  if (registered.statusCode !== 202) throw new Error(`register failed: ${registered.statusCode} ${registered.body}`);
  const { id } = await app.prisma.user.findUniqueOrThrow({ where: { email }, select: { id: true } });
  // No API makes an admin (on purpose): the database does, as an operator would.
  if (options.role === 'ADMIN') await app.prisma.user.update({ where: { id }, data: { role: 'ADMIN' } });
  const tokens = await logIn(app, { email, password });
  return {
    id,
    email,
    password,
    name,
    accessToken: tokens.access_token,
    refreshToken: tokens.refresh_token,
    headers: { authorization: `Bearer ${tokens.access_token}` },
  };
}

export function createAdmin(app: App, options: { name?: string } = {}): Promise<TestUser> {
  return createUser(app, { ...options, role: 'ADMIN' });
}

/** Logs the user in once more (a new, independent session) and returns its tokens. */
export async function logIn(app: App, user: Pick<TestUser, 'email' | 'password'>): Promise<TokenPair> {
  const response = await app.inject({
    method: 'POST',
    url: '/api/v1/auth/token',
    payload: { username: user.email, password: user.password },
  });
  expect(response.statusCode, response.body).toBe(200);
  return response.json<TokenPair>();
}
