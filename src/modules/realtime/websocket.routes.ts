// WebSocket endpoints. Each is a GET route whose plain-HTTP answer is 426 (so it shows up in
// the OpenAPI document with its message shapes under `x-websocket`) and whose upgrade runs the
// socket handler. Guards run on the upgrade request, before the socket exists. The three
// sockets (echo, chat, notifications) share the guard, the frame parser and the close codes,
// hence one file of about 240 lines.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { Compile } from 'typebox/compile';
import type { WebSocket } from 'ws';
import { AppError } from '../../lib/errors.js';
import { problems } from '../../lib/openapi.js';
import type { ChatMembership, ChatService } from './chat.service.js';
import type { NotificationFeed } from './notifications.service.js';
import { TokenBucket } from './rate-limiter.js';
import {
  ChatIn,
  ChatOut,
  MAX_CHAT_TEXT,
  NotificationOut,
  RoomParams,
  TokenQuery,
  websocketDoc,
} from './realtime.schemas.js';
import type { EndReason, SessionWatch } from './session-watch.js';
import { authenticateUpgrade, CLOSE_POLICY, liveCredential, type CredentialChecks } from './websocket-auth.js';
import { sendOrDrop } from './websocket-send.js';
import { wsTicketRoutes } from './ws-ticket.routes.js';
import type { WsTicketService } from './ws-tickets.js';

export interface WebsocketRoutesOptions {
  chat: ChatService;
  notifications: NotificationFeed;
  /** Ends sockets whose credential expired or was revoked. */
  sessions: SessionWatch;
  tickets: WsTicketService;
  checks: CredentialChecks;
  messageRate: { perSecond: number; burst: number };
}

/** 1011: the server cannot serve this socket (Redis unreachable when joining). */
const CLOSE_UNAVAILABLE = 1011;

class UpgradeRequiredError extends AppError {
  constructor() {
    super(426, 'upgrade-required', 'Upgrade Required', {
      detail: 'This endpoint speaks WebSocket only',
      headers: { upgrade: 'websocket' },
    });
  }
}

const tags = ['realtime'];
const webSocketOnly = async () => {
  throw new UpgradeRequiredError();
};
const opened = { 101: Type.Null({ description: 'Switching Protocols: the WebSocket is open' }) };
const bearerOrQueryToken = [{ OAuth2PasswordBearer: [] }];
const closeCodes = {
  '1001': 'the server is shutting down: reconnect (to any instance)',
  '1008':
    'reason "access token expired": the access token the socket was opened with expired, reconnect with a fresh one; ' +
    'reason "session revoked": the session was logged out or revoked, or the account deactivated (sign in again)',
  '1009': 'a frame was larger than WS_MAX_PAYLOAD (64 KiB by default)',
  '1011':
    'the server could not subscribe to the room, the notifications or the revocations (Redis unavailable): retry later',
};
const validChatFrame = Compile(ChatIn);

function parseChatFrame(data: Buffer, isBinary: boolean): { text: string } | { error: string } {
  if (isBinary) return { error: 'Binary frames are not supported: send JSON text' };
  let value: unknown;
  try {
    value = JSON.parse(data.toString('utf8'));
  } catch {
    return { error: 'Malformed frame: expected JSON' };
  }
  if (!validChatFrame.Check(value) || value.text.trim() === '') {
    return { error: `Invalid frame: expected {"type":"message","text":"..."} with 1 to ${MAX_CHAT_TEXT} characters` };
  }
  return { text: value.text };
}

const CLOSE_REASONS: Record<EndReason, string> = { expired: 'access token expired', revoked: 'session revoked' };

export const websocketRoutes: FastifyPluginAsyncTypebox<WebsocketRoutesOptions> = async (
  app,
  { chat, notifications, sessions, tickets, checks, messageRate },
) => {
  const authenticate = authenticateUpgrade(app, tickets, checks);
  await app.register(wsTicketRoutes, { prefix: '/api/v1', tickets });

  /**
   * Closes the socket when its credential expires or is revoked (on any instance). Resolves to
   * the function that stops watching, or undefined when revocations cannot be watched (Redis
   * unavailable): the socket is then closed with 1011, as when its feed cannot be joined.
   */
  const guard = (socket: WebSocket, request: FastifyRequest): Promise<(() => void) | undefined> => {
    const { expiresAt, ...credential } = liveCredential(request, app.config.accessTokenTtl, checks);
    const end = (reason: EndReason) => socket.close(CLOSE_POLICY, CLOSE_REASONS[reason]);
    return sessions.guard({ ...credential, end }, expiresAt).then(
      (stop) => {
        if (socket.readyState === socket.CLOSED || socket.readyState === socket.CLOSING) stop();
        else socket.once('close', stop);
        return stop;
      },
      (err: unknown) => {
        request.log.warn({ err }, 'session watch unavailable');
        socket.close(CLOSE_UNAVAILABLE, 'live connections unavailable, retry later');
        return undefined;
      },
    );
  };

  app.route({
    method: 'GET',
    url: '/ws/echo',
    schema: {
      tags,
      operationId: 'openEchoSocket',
      summary: 'Echo (WebSocket)',
      description: 'Sends every frame back as received (text stays text). No authentication.',
      response: { ...opened, ...problems(426) },
      ...websocketDoc({
        client: Type.String({ description: 'Any text frame' }),
        server: Type.String({ description: 'The same text' }),
        closeCodes: { '1001': closeCodes['1001'], '1009': closeCodes['1009'] },
      }),
    },
    handler: webSocketOnly,
    wsHandler: (socket) => {
      socket.on('message', (data: Buffer, isBinary: boolean) => socket.send(data, { binary: isBinary }));
    },
  });

  app.route({
    method: 'GET',
    url: '/ws/chat/:room',
    onRequest: [authenticate],
    schema: {
      tags,
      operationId: 'openChatSocket',
      summary: 'Chat room (WebSocket)',
      description:
        'Authenticate with `?ticket=<ticket>` from `POST /api/v1/ws-ticket` (recommended for browsers, which cannot set headers), ' +
        '`Authorization: Bearer <access token>`, or `?token=<access token>` (kept for compatibility: the token ends up in access logs); ' +
        'without a valid credential the upgrade is refused with 401. The socket is closed with 1008 when the access token expires ' +
        'or the session is revoked. Send `{"type":"message","text":"..."}`; every member of the room, ' +
        'on every api instance, receives `message`, `join` and `leave` frames. A bad frame gets an `error` frame and the socket stays open. ' +
        `Each connection may send ${messageRate.perSecond} messages per second (bursts of ${messageRate.burst}); beyond that an \`error\` frame answers.`,
      security: bearerOrQueryToken,
      params: RoomParams,
      querystring: TokenQuery,
      response: { ...opened, ...problems(401, 422, 426) },
      ...websocketDoc({ client: ChatIn, server: ChatOut, closeCodes }),
    },
    handler: webSocketOnly,
    wsHandler: (socket: WebSocket, request) => {
      const { user } = request;
      void guard(socket, request);
      const { room } = request.params as { room: string };
      const bucket = new TokenBucket(messageRate.perSecond, messageRate.burst);
      const replyError = (text: string) => sendOrDrop(socket, chat.frame('error', room, user, text));
      let closed = false;

      const membership: Promise<ChatMembership | undefined> = chat
        .join(room, user, (frame) => sendOrDrop(socket, frame))
        .then(
          async (joined) => {
            // The client may have gone while we were subscribing: leave at once.
            if (closed) await joined.leave();
            return joined;
          },
          (err: unknown) => {
            request.log.warn({ err, room }, 'chat join failed');
            socket.close(CLOSE_UNAVAILABLE, 'chat unavailable, retry later');
            return undefined;
          },
        );

      // Attached synchronously: frames sent right after the handshake are not lost; they wait
      // for the join (promise callbacks keep their order).
      socket.on('message', (data: Buffer, isBinary: boolean) => {
        if (!bucket.take()) return replyError('Rate limit exceeded: slow down');
        const parsed = parseChatFrame(data, isBinary);
        if ('error' in parsed) return replyError(parsed.error);
        membership
          .then((joined) => joined?.say(parsed.text))
          .catch((err: unknown) => {
            request.log.warn({ err, room }, 'chat message not published');
            replyError('The message could not be delivered, try again');
          });
      });

      socket.on('close', (code: number) => {
        closed = true;
        request.log.info({ room, code }, 'chat socket closed');
        membership
          .then((joined) => joined?.leave())
          .catch((err: unknown) => request.log.warn({ err, room }, 'chat leave notice not published'));
      });
    },
  });

  app.route({
    method: 'GET',
    url: '/ws/notifications',
    onRequest: [authenticate],
    schema: {
      tags,
      operationId: 'openNotificationsSocket',
      summary: 'Your notifications (WebSocket)',
      description:
        'Authenticate as for the chat (a ticket, a bearer token, or `?token=`). Receives the progress, completion and failure of your jobs, whichever instance ran them ' +
        'and whichever instance you are connected to. Frames from the client are ignored. The same events are available as SSE at `GET /api/v1/events`.',
      security: bearerOrQueryToken,
      querystring: TokenQuery,
      response: { ...opened, ...problems(401, 426) },
      ...websocketDoc({ server: NotificationOut, closeCodes }),
    },
    handler: webSocketOnly,
    wsHandler: (socket: WebSocket, request) => {
      const { user } = request;
      void guard(socket, request);
      let closed = false;
      const following = notifications
        .follow(user.id, 'websocket', (message) => sendOrDrop(socket, message))
        .then(
          (stop) => {
            if (closed) stop();
            return stop;
          },
          (err: unknown) => {
            request.log.warn({ err }, 'notification feed unavailable');
            socket.close(CLOSE_UNAVAILABLE, 'notifications unavailable, retry later');
            return undefined;
          },
        );
      socket.on('close', () => {
        closed = true;
        void following.then((stop) => stop?.());
      });
    },
  });
};
