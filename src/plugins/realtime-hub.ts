// Real-time infrastructure of one api instance: the WebSocket server (@fastify/websocket, with
// the frame size limit), the Redis pub/sub hub (its own subscriber connection: a connection in
// subscriber mode cannot run other commands), heartbeats that drop dead peers, the registry of
// SSE streams, and a shutdown that tells every client goodbye (WebSocket close 1001, SSE end).
import websocket from '@fastify/websocket';
import fp from 'fastify-plugin';
import type { Redis } from 'ioredis';
import { Gauge } from 'prom-client';
import type { WebSocket } from 'ws';
import { EventStreams } from '../infra/realtime/event-streams.js';
import { RedisHub } from '../infra/realtime/hub.js';
import { revocationChannel } from '../modules/realtime/revocations.js';
import { SessionWatch } from '../modules/realtime/session-watch.js';
import { WsTicketService } from '../modules/realtime/ws-tickets.js';
import { connectAtStartup, createRedis } from '../infra/redis/redis.js';

declare module 'fastify' {
  interface FastifyInstance {
    realtime: {
      hub: RedisHub;
      streams: EventStreams;
      /** Ends live connections at their credential's expiry and when it is revoked (any instance). */
      sessions: SessionWatch;
      /** Single-use tickets for opening a WebSocket without a token in the URL. */
      tickets: WsTicketService;
    };
  }
}

export const CLOSE_GOING_AWAY = 1001;
/** How long clients get to answer the close handshake at shutdown before being cut. */
const CLOSE_HANDSHAKE_GRACE_MS = 2_000;

/**
 * A silent Redis must fail a SUBSCRIBE (the socket or SSE stream waiting on it is then refused
 * with 1011 / 503) rather than hold it, and must fail the handshake so that the client keeps
 * reconnecting, and resubscribing, by itself. SUBSCRIBE answers in microseconds when Redis is
 * healthy: half a second keeps a refused real-time request under a second.
 */
const SUBSCRIBER_COMMAND_TIMEOUT_MS = 500;

/** The CLIENT LIST name of an instance's one subscriber connection. */
export function subscriberName(redisPrefix: string): string {
  return `${redisPrefix.replace(/[^\w.-]/g, '_')}hub`;
}

function createSubscriber(url: string, redisPrefix: string): Redis {
  // No keyPrefix: it would not apply to channel names anyway; channels carry the prefix themselves.
  return createRedis(url, '', {
    commandTimeout: SUBSCRIBER_COMMAND_TIMEOUT_MS,
    connectionName: subscriberName(redisPrefix),
  });
}

async function closeAll(clients: Set<WebSocket>): Promise<void> {
  const closed = [...clients].map(
    (client) =>
      new Promise<void>((resolve) => {
        if (client.readyState === client.CLOSED) return resolve();
        client.once('close', () => resolve());
        client.close(CLOSE_GOING_AWAY, 'server shutting down');
      }),
  );
  const grace = new Promise<void>((resolve) => setTimeout(resolve, CLOSE_HANDSHAKE_GRACE_MS).unref());
  await Promise.race([Promise.all(closed), grace]);
  for (const client of clients) client.terminate();
}

export default fp(
  async (app) => {
    const { config } = app;
    const subscriber = createSubscriber(config.redisUrl, config.redisPrefix);
    let down = false;
    subscriber.on('error', (err) => {
      if (!down) app.log.warn({ err }, 'redis subscriber unavailable');
      down = true;
    });
    subscriber.on('ready', () => {
      if (down) app.log.info('redis subscriber restored');
      down = false;
    });
    try {
      await connectAtStartup(subscriber);
    } catch (err) {
      app.log.warn({ err }, 'redis subscriber not reachable at start-up');
    }

    const hub = new RedisHub(subscriber, app.redis, (err) => app.log.error({ err }, 'realtime listener failed'));
    const streams = new EventStreams(config.sseHeartbeatInterval);
    const sessions = new SessionWatch(hub, revocationChannel(config.redisPrefix));
    app.decorate('realtime', { hub, streams, sessions, tickets: new WsTicketService(app.redis) });

    await app.register(websocket, {
      options: { maxPayload: config.wsMaxPayload },
      // Replaces the plugin's default (close without a code) so clients know to reconnect elsewhere.
      preClose: async () => {
        clearInterval(heartbeat);
        streams.endAll();
        await closeAll(app.websocketServer.clients);
        await new Promise<void>((resolve) => app.websocketServer.close(() => resolve()));
      },
    });

    // Heartbeat: ping every socket; one that did not answer the previous ping is a dead peer
    // (a vanished laptop, a NAT that dropped the mapping) and is cut, which fires its 'close'.
    const alive = new WeakSet<WebSocket>();
    app.websocketServer.on('connection', (socket: WebSocket) => {
      alive.add(socket);
      socket.on('pong', () => alive.add(socket));
    });
    const heartbeat = setInterval(() => {
      for (const socket of app.websocketServer.clients) {
        if (!alive.has(socket)) {
          socket.terminate();
          continue;
        }
        alive.delete(socket);
        socket.ping();
      }
    }, config.wsHeartbeatInterval * 1000);
    heartbeat.unref();

    // Gauges read at scrape time: nothing to keep in step on every connect and disconnect.
    if (app.hasDecorator('metrics')) {
      const registers = [app.metrics.registry];
      const gauge = (name: string, help: string, read: () => number) =>
        new Gauge({
          name,
          help,
          registers,
          collect() {
            this.set(read());
          },
        });
      gauge(
        'realtime_websocket_connections',
        'Open WebSocket connections on this instance',
        () => app.websocketServer.clients.size,
      );
      gauge('realtime_sse_streams', 'Open Server-Sent Events streams on this instance', () => streams.size);
      gauge('realtime_subscribed_channels', 'Redis pub/sub channels this instance is subscribed to', () =>
        hub.channelCount(),
      );
    }

    app.addHook('onClose', async () => {
      await subscriber.quit().catch(() => subscriber.disconnect());
    });
  },
  { name: 'realtime-hub', dependencies: ['config', 'redis'] },
);
