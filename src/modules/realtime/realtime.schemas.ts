// Shapes of the real-time endpoints. The same TypeBox schemas validate incoming chat frames and
// describe every message in the OpenAPI document (WebSocket frames are not HTTP bodies, so they
// are published under the `x-websocket` extension of each route).
import { Type, type Static } from 'typebox';

export const MAX_CHAT_TEXT = 4000;

export const RoomParams = Type.Object({
  room: Type.String({
    pattern: '^[A-Za-z0-9_.-]{1,64}$',
    description: 'Room name: 1-64 letters, digits, `_`, `.`, `-`',
  }),
});

export const TokenQuery = Type.Object({
  ticket: Type.Optional(
    Type.String({
      description:
        'Single-use ticket from `POST /api/v1/ws-ticket` (valid about 30 s): the recommended way for browsers, which cannot set headers',
    }),
  ),
  token: Type.Optional(
    Type.String({
      description:
        'Access token (kept for compatibility; prefer `ticket`: a token in a URL ends up in access logs), or send `Authorization: Bearer`',
    }),
  ),
});

export const WsTicket = Type.Object(
  {
    ticket: Type.String({ description: 'Pass it as `?ticket=` when opening the WebSocket; it works once' }),
    expiresIn: Type.Integer({ description: 'Seconds the ticket stays usable' }),
  },
  { title: 'WebSocketTicket' },
);

export const ChatIn = Type.Object(
  {
    type: Type.Literal('message'),
    text: Type.String({ minLength: 1, maxLength: MAX_CHAT_TEXT }),
  },
  { title: 'ChatClientMessage', description: 'A frame the client sends to /ws/chat/:room (JSON text frame).' },
);
export type ChatIn = Static<typeof ChatIn>;

export const ChatUserOut = Type.Object({ id: Type.Integer(), name: Type.String() });

export const ChatOut = Type.Object(
  {
    type: Type.Enum(['message', 'join', 'leave', 'error']),
    room: Type.String(),
    user: ChatUserOut,
    text: Type.String(),
    at: Type.String({ format: 'date-time' }),
  },
  {
    title: 'ChatServerMessage',
    description:
      'A frame the server sends on /ws/chat/:room. `message`, `join` and `leave` reach every member of the room on every instance; ' +
      '`error` goes only to the socket that sent a bad frame (its `user` is the recipient) and the socket stays open.',
  },
);
export type ChatOut = Static<typeof ChatOut>;

export const NotificationOut = Type.Object(
  {
    type: Type.Enum(['job.progress', 'job.completed', 'job.failed']),
    jobId: Type.String(),
    queue: Type.String(),
    progress: Type.Optional(Type.Union([Type.Number(), Type.Object({})])),
    result: Type.Optional(Type.Unknown()),
    error: Type.Optional(Type.String()),
    traceparent: Type.Optional(
      Type.String({
        description:
          'With tracing on: the W3C trace context of the job that sent the event (its trace id identifies the job in the trace view)',
      }),
    ),
  },
  { title: 'Notification', description: "An event about one of the user's jobs (WebSocket frame or SSE `data`)." },
);

/** The `x-websocket` extension of a WebSocket route in the OpenAPI document. */
export function websocketDoc(doc: { client?: unknown; server: unknown; closeCodes: Record<string, string> }) {
  return {
    'x-websocket': {
      protocol: 'RFC 6455, JSON text frames',
      clientMessages: doc.client ?? null,
      serverMessages: doc.server,
      closeCodes: doc.closeCodes,
    },
  };
}
