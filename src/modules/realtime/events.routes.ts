// GET /api/v1/events: the user's notifications as Server-Sent Events, for clients that prefer
// plain HTTP (EventSource, curl). Same events as /ws/notifications; the event name is the type.
import type { OutgoingHttpHeaders } from 'node:http';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { ServiceUnavailableError } from '../../lib/errors.js';
import { authenticated, problems } from '../../lib/openapi.js';
import type { AuthUser } from '../../plugins/auth.js';
import type { EventStreams } from './event-streams.js';
import type { NotificationFeed } from './notifications.service.js';

export interface EventsRoutesOptions {
  notifications: NotificationFeed;
  streams: EventStreams;
}

function eventName(message: string): string {
  try {
    const { type } = JSON.parse(message) as { type?: unknown };
    return typeof type === 'string' ? type : 'message';
  } catch {
    return 'message';
  }
}

export const eventsRoutes: FastifyPluginAsyncTypebox<EventsRoutesOptions> = async (app, { notifications, streams }) => {
  app.get(
    '/events',
    {
      onRequest: [app.authenticate],
      schema: {
        tags: ['realtime'],
        summary: 'Your notifications (Server-Sent Events)',
        description:
          'A `text/event-stream` that stays open. Each event is named after its type (`job.progress`, `job.completed`, `job.failed`) ' +
          'and its `data` is the JSON notification, the same as on `/ws/notifications`. A `: heartbeat` comment arrives every ' +
          '`SSE_HEARTBEAT_INTERVAL` (15 s by default). Events are live only: nothing is replayed after a reconnection.',
        security: authenticated,
        response: {
          200: {
            description: 'The event stream',
            content: {
              'text/event-stream': {
                schema: Type.String({ description: 'event: job.progress\\ndata: {"type":"job.progress","jobId":"42","queue":"emails","progress":50}' }),
              },
            },
          },
          ...problems(401, 503),
        },
      },
    },
    async (request, reply) => {
      const user = request.user as AuthUser;
      // Subscribe before answering, so a Redis outage is a 503 problem rather than a silent stream.
      // Until the stream starts, notifications wait here (one may arrive right after SUBSCRIBE).
      const early: string[] = [];
      let deliver: (message: string) => void = (message) => void early.push(message);
      let stop: () => void;
      try {
        stop = await notifications.follow(user.id, (message) => deliver(message.toString()));
      } catch (err) {
        request.log.warn({ err }, 'notification feed unavailable');
        throw new ServiceUnavailableError('Live events are unavailable, try again later');
      }
      reply.hijack();
      if (request.socket.destroyed) {
        stop(); // the client left while we were subscribing
        return reply;
      }
      const stream = streams.start(reply.raw, reply.getHeaders() as OutgoingHttpHeaders);
      deliver = (message) => stream.send(eventName(message), message);
      stream.onEnd(() => {
        stop();
        request.log.info('event stream closed');
      });
      for (const message of early.splice(0)) stream.send(eventName(message), message);
      return reply;
    },
  );
};
