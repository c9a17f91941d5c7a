// When pub/sub is unavailable (Redis down), real-time endpoints say so instead of pretending:
// SSE answers 503 problem+json, a WebSocket is closed with 1011, a failed publish is an error frame.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ChatService } from '../../../src/modules/realtime/chat.service.js';
import type { PubSub } from '../../../src/infra/realtime/hub.js';
import { NotificationFeed } from '../../../src/modules/realtime/notifications.service.js';
import { problemOf } from '../../helpers/app.js';
import { createUser, type TestUser } from '../../helpers/factories/users.js';
import { connect, type ChatFrame, type Instance, startInstance } from './realtime-clients.js';

const unavailable = () => Promise.reject(new Error("Stream isn't writeable and enableOfflineQueue options is false"));
const down: PubSub = { publish: unavailable, subscribe: unavailable };
/** Subscribing and announcing work, publishing chat messages fails (Redis went away meanwhile). */
const flaky: PubSub = {
  publish: async (_channel, frame) => {
    if ((JSON.parse(frame) as ChatFrame).type === 'message') await unavailable();
  },
  subscribe: async () => () => {},
};

let broken: Instance;
let halfBroken: Instance;
let user: TestUser;

beforeAll(async () => {
  broken = await startInstance({
    overrides: { realtime: { chat: new ChatService(down, 'x:'), notifications: new NotificationFeed(down, 'x:') } },
  });
  halfBroken = await startInstance({ overrides: { realtime: { chat: new ChatService(flaky, 'x:') } } });
  user = await createUser(broken.app);
});

afterAll(async () => {
  await Promise.all([broken?.app.close(), halfBroken?.app.close()]);
});

it('answers 503 to SSE when notifications cannot be followed', async () => {
  const response = await broken.app.inject({ method: 'GET', url: '/api/v1/events', headers: user.headers });
  expect(response.statusCode).toBe(503);
  expect(problemOf(response).detail).toMatch(/unavailable/);
});

it('closes chat and notification sockets with 1011 when the room cannot be joined', async () => {
  const chat = await connect(`${broken.ws}/ws/chat/lobby?token=${user.accessToken}`);
  expect((await chat.closed).code).toBe(1011);
  const notifications = await connect(`${broken.ws}/ws/notifications?token=${user.accessToken}`);
  expect((await notifications.closed).code).toBe(1011);
});

it('answers an error frame when a message cannot be published, and keeps the socket', async () => {
  const chat = await connect(`${halfBroken.ws}/ws/chat/lobby`, user.headers);
  chat.sendJson({ type: 'message', text: 'lost' });
  const error = await chat.waitFor((m: ChatFrame) => m.type === 'error');
  expect(error.text).toMatch(/could not be delivered/);
  expect(chat.socket.readyState).toBe(chat.socket.OPEN);
  await chat.close();
});
