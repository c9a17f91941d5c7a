// Shutdown of one instance: its WebSocket clients get close code 1001, its SSE streams end
// cleanly, and the members of a room on the other instance hear those clients leave.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createUser, type TestUser } from '../../helpers/factories/users.js';
import {
  connect,
  eventually,
  joinRoom,
  SseReader,
  startInstance,
  type ChatFrame,
  type Instance,
} from './realtime-clients.js';

let staying: Instance;
let alice: TestUser;
let bob: TestUser;

beforeAll(async () => {
  staying = await startInstance();
  [alice, bob] = await Promise.all([
    createUser(staying.app, { name: 'Alice' }),
    createUser(staying.app, { name: 'Bob' }),
  ]);
});

afterAll(async () => {
  await staying?.app.close();
});

it('closes every socket with 1001 and ends every event stream when an instance shuts down', async () => {
  const leaving = await startInstance();
  const room = `shutdown-${randomBytes(4).toString('hex')}`;
  const watcher = await joinRoom(staying, room, alice);
  const chat = await joinRoom(leaving, room, bob);
  const echo = await connect(`${leaving.ws}/ws/echo`);
  const notifications = await connect(`${leaving.ws}/ws/notifications?token=${bob.accessToken}`);
  const stream = await SseReader.open(`${leaving.http}/api/v1/events`, bob.headers);
  await stream.waitFor((e) => e.comment === 'connected');

  await leaving.app.close();

  for (const client of [chat, echo, notifications]) {
    expect(await client.closed).toEqual({ code: 1001, reason: 'server shutting down' });
  }
  expect(await stream.waitForEnd()).toBe('end');
  const left = await watcher.waitFor(
    (m: ChatFrame) => m.type === 'leave' && m.user.id === bob.id,
    "bob's leave from the other instance",
  );
  expect(left.room).toBe(room);
  expect(leaving.app.services.hub.localListeners()).toBe(0);
  await eventually(() => watcher.socket.readyState === watcher.socket.OPEN, 'the other instance keeps its clients');
  await watcher.close();
});
