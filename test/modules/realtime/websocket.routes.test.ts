// WebSockets against two real app instances sharing the run's Redis: echo, refused upgrades,
// cross-instance broadcast, join/leave notices, room isolation, bad and oversized frames,
// rate limit and heartbeat.
import { randomBytes, randomUUID } from 'node:crypto';
import type { Socket } from 'node:net';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { subscriberName } from '../../../src/infra/realtime/open-hub.js';
import { createUser, type TestUser } from '../../helpers/factories/users.js';
import { connect, joinRoom, startInstance, type ChatFrame, type Instance } from './realtime-clients.js';

const roomName = (label: string) => `${label}-${randomBytes(4).toString('hex')}`;

let a: Instance;
let b: Instance;
let alice: TestUser;
let bob: TestUser;

beforeAll(async () => {
  [a, b] = await Promise.all([startInstance(), startInstance()]);
  [alice, bob] = await Promise.all([createUser(a.app, { name: 'Alice' }), createUser(b.app, { name: 'Bob' })]);
});

afterAll(async () => {
  await Promise.all([a?.app.close(), b?.app.close()]);
});

describe('/ws/echo', () => {
  it('echoes text frames as text', async () => {
    const client = await connect(`${a.ws}/ws/echo`);
    client.socket.send('hello');
    client.socket.send('héllo again');
    await client.waitFor((m: unknown) => m === 'héllo again');
    expect(client.messages).toEqual(['hello', 'héllo again']);
    await client.close();
  });

  it('answers 426 problem+json to plain HTTP', async () => {
    const response = await a.app.inject({ method: 'GET', url: '/ws/echo' });
    expect(response.statusCode).toBe(426);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.headers.upgrade).toBe('websocket');
  });
});

describe('/ws/chat/:room authentication', () => {
  it('refuses the upgrade with 401 without a token', async () => {
    const refused = await connect(`${a.ws}/ws/chat/${roomName('auth')}`).catch(
      (err: { statusCode: number; headers: Record<string, string>; body: string }) => err,
    );
    expect(refused).toMatchObject({ statusCode: 401 });
    const { headers, body } = refused as { headers: Record<string, string>; body: string };
    expect(headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(headers['www-authenticate']).toMatch(/^Bearer/);
    expect(JSON.parse(body)).toMatchObject({ status: 401 });
  });

  it('refuses the upgrade with 401 for an invalid token, in the header or the query', async () => {
    const room = roomName('auth');
    await expect(connect(`${a.ws}/ws/chat/${room}`, { authorization: 'Bearer not-a-jwt' })).rejects.toMatchObject({
      statusCode: 401,
    });
    await expect(connect(`${b.ws}/ws/chat/${room}?token=${alice.accessToken}x`)).rejects.toMatchObject({
      statusCode: 401,
    });
  });

  it('refuses a token whose session was logged out', async () => {
    const carol = await createUser(a.app, { name: 'Carol' });
    const logout = await a.app.inject({
      method: 'POST',
      url: '/api/v1/auth/logout',
      headers: carol.headers,
      payload: { refresh_token: carol.refreshToken },
    });
    expect(logout.statusCode).toBeLessThan(300);
    await expect(connect(`${b.ws}/ws/chat/${roomName('auth')}?token=${carol.accessToken}`)).rejects.toMatchObject({
      statusCode: 401,
    });
  });

  it('accepts the token in the query (browsers) and refuses an invalid room name with 422', async () => {
    const room = roomName('query');
    const client = await connect(`${a.ws}/ws/chat/${room}?token=${alice.accessToken}`);
    const join = await client.waitFor((m: ChatFrame) => m.type === 'join');
    expect(join).toMatchObject({ room, user: { id: alice.id, name: 'Alice' } });
    await client.close();
    await expect(connect(`${a.ws}/ws/chat/bad%20room!?token=${alice.accessToken}`)).rejects.toMatchObject({
      statusCode: 422,
    });
  });

  it('closes the socket with 1008 when its access token expires', async () => {
    const claims = a.app.jwt.decode<Record<string, unknown>>(alice.accessToken) ?? {};
    // The same session, but a token that lives three seconds.
    const shortLived = a.app.jwt.sign(
      { sub: claims.sub, role: claims.role, sid: claims.sid, typ: 'access', jti: randomUUID() } as never,
      { expiresIn: 3 },
    );
    const chat = await connect(`${a.ws}/ws/chat/${roomName('expiry')}?token=${shortLived}`);
    const notifications = await connect(`${b.ws}/ws/notifications?token=${shortLived}`);
    expect(await chat.closed).toEqual({ code: 1008, reason: 'access token expired' });
    expect(await notifications.closed).toEqual({ code: 1008, reason: 'access token expired' });
  });

  it('keeps the token out of the logs', async () => {
    const lines: string[] = [];
    const logged = await startInstance({
      env: { LOG_LEVEL: 'info' },
      logStream: { write: (line) => lines.push(line) },
    });
    try {
      const client = await connect(`${logged.ws}/ws/chat/${roomName('log')}?token=${alice.accessToken}`);
      await client.waitFor((m: ChatFrame) => m.type === 'join');
      await client.close();
      expect(lines.some((line) => line.includes('/ws/chat/') && line.includes('token=[redacted]'))).toBe(true);
      expect(lines.join('\n')).not.toContain(alice.accessToken);
    } finally {
      await logged.app.close();
    }
  });
});

describe('/ws/chat/:room across instances', () => {
  it('broadcasts a message to every member of the room on every instance', async () => {
    const room = roomName('broadcast');
    const onA = await joinRoom(a, room, alice);
    const onB = await joinRoom(b, room, bob);
    onA.sendJson({ type: 'message', text: 'hi from A' });
    const received = await onB.waitFor((m: ChatFrame) => m.type === 'message', 'the message on B');
    expect(received).toEqual({
      type: 'message',
      room,
      user: { id: alice.id, name: 'Alice' },
      text: 'hi from A',
      at: expect.any(String),
    });
    expect(new Date(received.at).toISOString()).toBe(received.at);
    // The sender receives its own message too (the room's order is the same for everyone).
    await onA.waitFor((m: ChatFrame) => m.type === 'message' && m.text === 'hi from A');
    await Promise.all([onA.close(), onB.close()]);
  });

  it('announces joins and leaves to the other members', async () => {
    const room = roomName('presence');
    const onA = await joinRoom(a, room, alice);
    const onB = await joinRoom(b, room, bob);
    const joined = await onA.waitFor((m: ChatFrame) => m.type === 'join' && m.user.id === bob.id, "bob's join");
    expect(joined).toMatchObject({ room, user: { id: bob.id, name: 'Bob' }, text: 'Bob joined' });
    await onB.close();
    const left = await onA.waitFor((m: ChatFrame) => m.type === 'leave' && m.user.id === bob.id, "bob's leave");
    expect(left).toMatchObject({ room, user: { id: bob.id, name: 'Bob' }, text: 'Bob left' });
    await onA.close();
  });

  it('uses one Redis subscriber connection per instance, however many rooms and sockets', async () => {
    const env = { REDIS_PREFIX: `${inject('redisPrefix')}hubcount:` };
    const [x, y] = await Promise.all([startInstance({ env }), startInstance({ env })]);
    const redis = new Redis(inject('redisUrl'));
    try {
      const rooms = [roomName('one'), roomName('two'), roomName('three')];
      const clients = [];
      for (const room of rooms) for (const instance of [x, y, x]) clients.push(await joinRoom(instance, room, alice));
      const list = await redis.client('LIST');
      const hubs = String(list)
        .split('\n')
        .filter((line) => line.includes(` name=${subscriberName(env.REDIS_PREFIX)} `));
      expect(hubs).toHaveLength(2);
      // Each subscribes to the three room channels, the revocation channel and the item cache's
      // invalidation channel (nothing per socket).
      for (const line of hubs) expect(Number(/ sub=(\d+)/.exec(line)?.[1])).toBe(rooms.length + 2);
      await Promise.all(clients.map((client) => client.close()));
    } finally {
      redis.disconnect();
      await Promise.all([x.app.close(), y.app.close()]);
    }
  });

  it('keeps rooms isolated', async () => {
    const room1 = roomName('iso1');
    const room2 = roomName('iso2');
    const inRoom1 = await joinRoom(a, room1, alice);
    const inRoom2OnA = await joinRoom(a, room2, bob);
    const inRoom2OnB = await joinRoom(b, room2, alice);
    inRoom1.sendJson({ type: 'message', text: 'for room 1 only' });
    await inRoom1.waitFor((m: ChatFrame) => m.type === 'message');
    // A later message in room 2 arrives; the earlier room-1 message never did.
    inRoom2OnA.sendJson({ type: 'message', text: 'for room 2' });
    await inRoom2OnB.waitFor((m: ChatFrame) => m.type === 'message' && m.text === 'for room 2');
    await inRoom2OnA.waitFor((m: ChatFrame) => m.type === 'message' && m.text === 'for room 2');
    for (const client of [inRoom2OnA, inRoom2OnB]) {
      expect((client.messages as ChatFrame[]).every((m) => m.room === room2)).toBe(true);
      expect((client.messages as ChatFrame[]).some((m) => m.text === 'for room 1 only')).toBe(false);
    }
    expect((inRoom1.messages as ChatFrame[]).every((m) => m.room === room1)).toBe(true);
    await Promise.all([inRoom1.close(), inRoom2OnA.close(), inRoom2OnB.close()]);
  });
});

describe('/ws/chat/:room frames', () => {
  it('answers malformed frames with an error frame and keeps the socket open', async () => {
    const room = roomName('bad');
    const client = await joinRoom(a, room, alice);
    client.socket.send('not json');
    client.sendJson({ type: 'shout', text: 'x' });
    client.sendJson({ type: 'message', text: '' });
    client.sendJson({ type: 'message', text: 'x'.repeat(4001) });
    client.socket.send(Buffer.from([1, 2, 3]), { binary: true });
    await client.waitFor(
      () => (client.messages as ChatFrame[]).filter((m) => m.type === 'error').length === 5,
      'five error frames',
    );
    const errors = (client.messages as ChatFrame[]).filter((m) => m.type === 'error');
    expect(errors[0]).toMatchObject({
      type: 'error',
      room,
      user: { id: alice.id },
      text: 'Malformed frame: expected JSON',
    });
    expect(errors.slice(1, 4).every((m) => m.text.startsWith('Invalid frame'))).toBe(true);
    expect(errors[4]?.text).toMatch(/Binary frames/);
    // Still open and still working.
    client.sendJson({ type: 'message', text: 'after the errors' });
    await client.waitFor((m: ChatFrame) => m.type === 'message' && m.text === 'after the errors');
    await client.close();
  });

  it('closes the socket with 1009 on a frame over 64 KiB, and takes one just under the limit', async () => {
    const client = await joinRoom(b, roomName('big'), bob);
    // 64 KiB exactly is allowed (an error frame comes back: text is limited to 4000 characters).
    const padding = 64 * 1024 - JSON.stringify({ type: 'message', text: '' }).length;
    client.socket.send(JSON.stringify({ type: 'message', text: 'x'.repeat(padding) }));
    await client.waitFor(
      (m: ChatFrame) => m.type === 'error' && m.text.startsWith('Invalid frame'),
      'an error frame for the long text',
    );
    expect(client.socket.readyState).toBe(client.socket.OPEN);
    client.socket.send(JSON.stringify({ type: 'message', text: 'x'.repeat(padding + 1) }));
    expect((await client.closed).code).toBe(1009);
  });

  it('limits the message rate per connection with error frames, without closing', async () => {
    const limited = await startInstance({ env: { WS_MESSAGE_RATE: '1', WS_MESSAGE_BURST: '3' } });
    try {
      const client = await joinRoom(limited, roomName('rate'), alice);
      for (let i = 0; i < 10; i++) client.sendJson({ type: 'message', text: `m${i}` });
      const limitedFrame = await client.waitFor(
        (m: ChatFrame) => m.type === 'error' && m.text.startsWith('Rate limit'),
        'a rate-limit error',
      );
      expect(limitedFrame.room).toBeTruthy();
      await client.waitFor((m: ChatFrame) => m.type === 'message' && m.text === 'm2');
      // The burst of 3 went through (and at most one more refilled token); the rest were refused.
      const frames = client.messages as ChatFrame[];
      await client.waitFor(
        () => frames.filter((m) => m.type === 'message').length + frames.filter((m) => m.type === 'error').length >= 10,
        'an answer to every message',
      );
      const delivered = frames.filter((m) => m.type === 'message').map((m) => m.text);
      expect(delivered.slice(0, 3)).toEqual(['m0', 'm1', 'm2']);
      expect(delivered.length).toBeLessThanOrEqual(4);
      expect(frames.filter((m) => m.type === 'error' && m.text.startsWith('Rate limit')).length).toBe(
        10 - delivered.length,
      );
      expect(client.socket.readyState).toBe(client.socket.OPEN);
      await client.close();
    } finally {
      await limited.app.close();
    }
  });
});

describe('heartbeat', () => {
  it('keeps a peer that answers pings, over several intervals', async () => {
    const beating = await startInstance({ env: { WS_HEARTBEAT_INTERVAL: '1' } });
    try {
      const room = roomName('alive');
      const alive = await joinRoom(beating, room, bob);
      let pings = 0;
      alive.socket.on('ping', () => pings++);
      await new Promise((resolve) => setTimeout(resolve, 3500));
      expect(pings).toBeGreaterThanOrEqual(2);
      expect(alive.socket.readyState).toBe(alive.socket.OPEN);
      alive.sendJson({ type: 'message', text: 'still here' });
      await alive.waitFor((m: ChatFrame) => m.type === 'message' && m.text === 'still here');
      await alive.close();
    } finally {
      await beating.app.close();
    }
  });

  it('drops a peer that stops answering pings, and the room hears it leave', async () => {
    const beating = await startInstance({ env: { WS_HEARTBEAT_INTERVAL: '1' } });
    try {
      const room = roomName('dead');
      const watcher = await joinRoom(a, room, alice);
      const dead = await joinRoom(beating, room, bob);
      // Stop reading: pings pile up unanswered, as with a vanished peer.
      (dead.socket as unknown as { _socket: Socket })._socket.pause();
      const left = await watcher.waitFor(
        (m: ChatFrame) => m.type === 'leave' && m.user.id === bob.id,
        'the dead peer leaving',
      );
      expect(left.room).toBe(room);
      dead.socket.terminate();
      await watcher.close();
    } finally {
      await beating.app.close();
    }
  });
});
