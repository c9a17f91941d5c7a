// The realtime module: chat rooms and per-user notifications over WebSocket, the same
// notifications as Server-Sent Events, single-use tickets for browsers, and the session watch
// that ends a live connection when its credential expires or is revoked on any instance.
import type { FastifyPluginAsync } from 'fastify';
import type { Redis } from 'ioredis';
import type { Config } from '../../config.js';
import { EventStreams } from '../../infra/realtime/event-streams.js';
import type { RedisHub } from '../../infra/realtime/hub.js';
import { revocationChannel } from '../../infra/realtime/revocations.js';
import { ChatService } from './chat.service.js';
import { eventsRoutes } from './events.routes.js';
import { NotificationFeed } from './notifications.service.js';
import { SessionWatch } from './session-watch.js';
import type { CredentialChecks } from './websocket-auth.js';
import { websocketRoutes } from './websocket.routes.js';
import { WsTicketService } from './ws-tickets.js';

export interface RealtimeModuleDeps {
  config: Pick<Config, 'redisPrefix' | 'sseHeartbeatInterval' | 'wsMessageRate' | 'wsMessageBurst'>;
  hub: RedisHub;
  /** The command connection: tickets live there. */
  redis: Redis;
  /** Run at connect time and again while a connection is open (the auth and API-key modules). */
  checks: CredentialChecks;
}

/** Parts a test may replace (a chat or a feed over a broken transport). */
export interface RealtimeModuleOverrides {
  chat?: ChatService;
  notifications?: NotificationFeed;
}

export function realtimeModule(
  { config, hub, redis, checks }: RealtimeModuleDeps,
  overrides: RealtimeModuleOverrides = {},
) {
  const chat = overrides.chat ?? new ChatService(hub, config.redisPrefix);
  const notifications = overrides.notifications ?? new NotificationFeed(hub, config.redisPrefix);
  const sessions = new SessionWatch(hub, revocationChannel(config.redisPrefix));
  const tickets = new WsTicketService(redis);
  const streams = new EventStreams(config.sseHeartbeatInterval);
  const routes: FastifyPluginAsync = async (app) => {
    await app.register(websocketRoutes, {
      chat,
      notifications,
      sessions,
      tickets,
      checks,
      messageRate: { perSecond: config.wsMessageRate, burst: config.wsMessageBurst },
    });
    await app.register(eventsRoutes, { prefix: '/api/v1', notifications, streams, sessions, checks });
  };
  return { chat, notifications, sessions, tickets, streams, routes };
}
