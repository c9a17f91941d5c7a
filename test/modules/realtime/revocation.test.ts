// Live connections end when their credential does, on two real instances sharing Redis: a
// logout, a refresh-token reuse, a password change and a deactivation on instance A close the
// WebSockets and SSE streams opened on instance B at once (not at the token's expiry), other
// sessions stay open, and an SSE stream also ends when its access token expires.
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { revocationChannel } from '../../../src/infra/realtime/revocations.js';
import { createApiKey } from '../../helpers/factories/api-keys.js';
import { bearer } from '../../helpers/factories/clients.js';
import { createAdmin, createUser, logIn, type TestUser } from '../../helpers/factories/users.js';
import { connect, eventually, SseReader, startInstance, type Client, type Instance } from './realtime-clients.js';

let a: Instance;
let b: Instance;
let admin: TestUser;
let publisher: Redis;

const REVOKED = { code: 1008, reason: 'session revoked' };

beforeAll(async () => {
  [a, b] = await Promise.all([startInstance(), startInstance()]);
  admin = await createAdmin(a.app);
  publisher = new Redis(inject('redisUrl'));
});

afterAll(async () => {
  await publisher?.quit();
  await Promise.all([a?.app.close(), b?.app.close()]);
});

/** Everything a user can hold open on instance B with one access token. */
async function openAll(token: string): Promise<{ chat: Client; notifications: Client; events: SseReader }> {
  const [chat, notifications, events] = await Promise.all([
    connect(`${b.ws}/ws/chat/revocation-${randomUUID().slice(0, 8)}`, bearer(token)),
    connect(`${b.ws}/ws/notifications`, bearer(token)),
    SseReader.open(`${b.http}/api/v1/events`, bearer(token)),
  ]);
  expect(events.response.statusCode).toBe(200);
  await events.waitFor((event) => event.comment === 'connected');
  // Once B watches the revocations of these connections, nothing published later is missed.
  await eventually(() => b.app.services.realtime.sessions.size === 3, 'B watching the three connections');
  return { chat, notifications, events };
}

async function expectEnded(
  connections: { chat: Client; notifications: Client; events: SseReader },
  reason: 'revoked' | 'expired',
) {
  const code = reason === 'revoked' ? REVOKED : { code: 1008, reason: 'access token expired' };
  expect(await connections.chat.closed).toEqual(code);
  expect(await connections.notifications.closed).toEqual(code);
  expect(await connections.events.waitForEnd()).toBe('end');
  const last = connections.events.events.at(-1);
  expect(last).toEqual({ event: 'session.ended', data: JSON.stringify({ type: 'session.ended', reason }) });
}

describe('revocation ends live connections on every instance', () => {
  it('logout on A closes the WebSockets and the SSE stream of that session on B; another session stays', async () => {
    const user = await createUser(a.app);
    const other = (await logIn(a.app, user)).access_token;
    const revoked = await openAll(user.accessToken);
    const survivor = await connect(`${b.ws}/ws/notifications`, bearer(other));
    await eventually(() => b.app.services.realtime.sessions.size === 4, 'B watching four connections');

    const logout = await a.app.inject({ method: 'POST', url: '/api/v1/auth/logout', headers: user.headers });
    expect(logout.statusCode).toBe(204);
    await expectEnded(revoked, 'revoked');

    expect(survivor.socket.readyState).toBe(survivor.socket.OPEN);
    await survivor.close();
    await eventually(() => b.app.services.realtime.sessions.size === 0, 'nothing left to watch on B');
  });

  it('a reused refresh token revokes its family: the connections of that session end', async () => {
    const user = await createUser(a.app);
    const connections = await openAll(user.accessToken);
    const refresh = (token: string) =>
      a.app.inject({ method: 'POST', url: '/api/v1/auth/refresh', payload: { refresh_token: token } });
    expect((await refresh(user.refreshToken)).statusCode).toBe(200);
    expect((await refresh(user.refreshToken)).statusCode).toBe(401); // the replay
    await expectEnded(connections, 'revoked');
  });

  it('a password change ends every session of the user, but not a stream opened with an API key', async () => {
    const user = await createUser(a.app);
    const other = (await logIn(a.app, user)).access_token;
    const { key: apiKey } = await createApiKey(a.app, user, 'live');
    const first = await openAll(user.accessToken);
    const second = await connect(`${b.ws}/ws/notifications`, bearer(other));
    const keyed = await SseReader.open(`${b.http}/api/v1/events`, { 'x-api-key': apiKey });
    await keyed.waitFor((event) => event.comment === 'connected');
    await eventually(() => b.app.services.realtime.sessions.size === 5, 'B watching five connections');

    const changed = await a.app.inject({
      method: 'PATCH',
      url: '/api/v1/users/me',
      headers: user.headers,
      payload: { currentPassword: user.password, password: 'a-brand-new-password-1' },
    });
    expect(changed.statusCode).toBe(200);
    await expectEnded(first, 'revoked');
    expect(await second.closed).toEqual(REVOKED);
    // API keys are not sessions: the key still works, so its stream stays.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(keyed.ended).toBeUndefined();
    keyed.close();
  });

  it('deactivation by an admin ends everything the user holds open, API-key streams included', async () => {
    const user = await createUser(a.app);
    const { key: apiKey } = await createApiKey(a.app, user, 'live');
    const connections = await openAll(user.accessToken);
    const keyed = await SseReader.open(`${b.http}/api/v1/events`, { 'x-api-key': apiKey });
    await keyed.waitFor((event) => event.comment === 'connected');
    await eventually(() => b.app.services.realtime.sessions.size === 4, 'B watching four connections');

    const deactivated = await a.app.inject({
      method: 'PATCH',
      url: `/api/v1/users/${user.id}`,
      headers: admin.headers,
      payload: { isActive: false },
    });
    expect(deactivated.statusCode).toBe(200);
    await expectEnded(connections, 'revoked');
    expect(await keyed.waitForEnd()).toBe('end');
    expect(keyed.events.at(-1)?.data).toBe(JSON.stringify({ type: 'session.ended', reason: 'revoked' }));
  });

  it('deleting an API key ends the streams opened with it at once, and leaves the others', async () => {
    const user = await createUser(a.app);
    const doomed = await createApiKey(a.app, user, 'doomed');
    const kept = await createApiKey(a.app, user, 'kept');
    const doomedStream = await SseReader.open(`${b.http}/api/v1/events`, { 'x-api-key': doomed.key });
    const keptStream = await SseReader.open(`${b.http}/api/v1/events`, { 'x-api-key': kept.key });
    await doomedStream.waitFor((event) => event.comment === 'connected');
    await keptStream.waitFor((event) => event.comment === 'connected');

    const deleted = await a.app.inject({
      method: 'DELETE',
      url: `/api/v1/users/me/api-keys/${doomed.id}`,
      headers: user.headers,
    });
    expect(deleted.statusCode).toBe(204);
    expect(await doomedStream.waitForEnd()).toBe('end');
    expect(doomedStream.events.at(-1)?.data).toBe(JSON.stringify({ type: 'session.ended', reason: 'revoked' }));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(keptStream.ended).toBeUndefined();
    keptStream.close();
  });

  it('subscribes to the revocation channel only while it holds connections', async () => {
    const subscribers = async () =>
      Number(((await publisher.pubsub('NUMSUB', revocationChannel(inject('redisPrefix')))) as [string, number])[1]);
    await eventually(async () => (await subscribers()) === 0, 'no instance subscribed');
    const user = await createUser(a.app);
    const client = await connect(`${b.ws}/ws/notifications`, bearer(user.accessToken));
    await eventually(async () => (await subscribers()) === 1, 'B subscribed');
    await client.close();
    await eventually(async () => (await subscribers()) === 0, 'B unsubscribed');
  });
});

describe('expiry', () => {
  it('ends an SSE stream with session.ended when its access token expires', async () => {
    const user = await createUser(a.app);
    const claims = a.app.jwt.decode<Record<string, unknown>>(user.accessToken) ?? {};
    const shortLived = a.app.jwt.sign(
      { sub: claims.sub, role: claims.role, sid: claims.sid, typ: 'access', jti: randomUUID() } as never,
      { expiresIn: 2 },
    );
    const events = await SseReader.open(`${b.http}/api/v1/events`, bearer(shortLived));
    expect(events.response.statusCode).toBe(200);
    expect(await events.waitForEnd()).toBe('end');
    expect(events.events.at(-1)).toEqual({
      event: 'session.ended',
      data: JSON.stringify({ type: 'session.ended', reason: 'expired' }),
    });
  });
});
