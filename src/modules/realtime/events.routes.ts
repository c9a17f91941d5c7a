// GET /api/v1/events: the user's notifications as Server-Sent Events, for clients that prefer
// plain HTTP (EventSource, curl). Same events as /ws/notifications; the event name is the type.
import type { OutgoingHttpHeaders } from 'node:http';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { ServiceUnavailableError } from '../../lib/errors.js';
import { authenticated, problems } from '../../lib/openapi.js';
import type { EventStreams } from '../../infra/realtime/event-streams.js';
import type { NotificationFeed } from './notifications.service.js';
import type { EndReason, SessionWatch } from './session-watch.js';
import { liveCredential, type CredentialChecks } from './websocket-auth.js';

export interface EventsRoutesOptions {
  notifications: NotificationFeed;
  streams: EventStreams;
  /** Ends streams whose credential expired or was revoked. */
  sessions: SessionWatch;
  checks: CredentialChecks;
}

/** The last event of a stream whose credential expired or was revoked. */
export const SESSION_ENDED = 'session.ended';

function eventName(message: string): string {
  try {
    const { type } = JSON.parse(message) as { type?: unknown };
    return typeof type === 'string' ? type : 'message';
  } catch {
    return 'message';
  }
}

export const eventsRoutes: FastifyPluginAsyncTypebox<EventsRoutesOptions> = async (
  app,
  { notifications, streams, sessions, checks },
) => {
  app.get(
    '/events',
    {
      onRequest: [app.authenticate],
      schema: {
        tags: ['realtime'],
        operationId: 'streamEvents',
        summary: 'Your notifications (Server-Sent Events)',
        description:
          'A `text/event-stream` that stays open. Each event is named after its type (`job.progress`, `job.completed`, `job.failed`) ' +
          'and its `data` is the JSON notification, the same as on `/ws/notifications`. A `: heartbeat` comment arrives every ' +
          '`SSE_HEARTBEAT_INTERVAL` (15 s by default). Events are live only: nothing is replayed after a reconnection. ' +
          'The stream ends with a `session.ended` event (`{"type":"session.ended","reason":"expired"|"revoked"}`) when the access token ' +
          'expires (with an API key: after ACCESS_TOKEN_TTL, to check the key again) or when the session is revoked (logout, password change, ' +
          'deactivation; the key deleted is caught at that periodic check).',
        security: authenticated,
        response: {
          200: {
            description: 'The event stream',
            content: {
              'text/event-stream': {
                schema: Type.String({
                  description:
                    'event: job.progress\\ndata: {"type":"job.progress","jobId":"42","queue":"emails","progress":50}',
                }),
              },
            },
          },
          ...problems(401, 503),
        },
      },
    },
    async (request, reply) => {
      const { user } = request;
      // Subscribe before answering, so a Redis outage is a 503 problem rather than a silent stream.
      // Until the stream starts, notifications and the end of the session wait here (one may
      // arrive right after SUBSCRIBE).
      const early: string[] = [];
      let deliver: (message: string) => void = (message) => void early.push(message);
      let endedEarly: EndReason | undefined;
      let end: (reason: EndReason) => void = (reason) => void (endedEarly ??= reason);
      const { expiresAt, ...credential } = liveCredential(request, app.config.accessTokenTtl, checks);
      let stop: () => void;
      let unguard: () => void;
      try {
        stop = await notifications.follow(user.id, 'sse', (message) => deliver(message.toString()));
      } catch (err) {
        request.log.warn({ err }, 'notification feed unavailable');
        throw new ServiceUnavailableError('Live events are unavailable, try again later');
      }
      try {
        unguard = await sessions.guard({ ...credential, end: (reason) => end(reason) }, expiresAt);
      } catch (err) {
        stop();
        request.log.warn({ err }, 'session watch unavailable');
        throw new ServiceUnavailableError('Live events are unavailable, try again later');
      }
      reply.hijack();
      if (request.socket.destroyed) {
        stop(); // the client left while we were subscribing
        unguard();
        return reply;
      }
      const stream = streams.start(reply.raw, reply.getHeaders() as OutgoingHttpHeaders);
      deliver = (message) => stream.send(eventName(message), message);
      // A last `session.ended` event says why: reconnect with a fresh token (expired) or sign in again (revoked).
      end = (reason) => stream.end(SESSION_ENDED, JSON.stringify({ type: SESSION_ENDED, reason }));
      stream.onEnd(() => {
        stop();
        unguard();
        request.log.info('event stream closed');
      });
      for (const message of early.splice(0)) stream.send(eventName(message), message);
      if (endedEarly) end(endedEarly);
      return reply;
    },
  );
};
