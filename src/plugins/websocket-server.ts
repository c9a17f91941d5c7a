// The WebSocket server of one api instance (@fastify/websocket, with the frame size limit):
// heartbeats that drop dead peers, gauges for /metrics, and a shutdown that tells every client
// goodbye (WebSocket close 1001, SSE end) so it reconnects to another instance.
import websocket from '@fastify/websocket';
import fp from 'fastify-plugin';
import { Gauge } from 'prom-client';
import type { WebSocket } from 'ws';

export const CLOSE_GOING_AWAY = 1001;
/** How long clients get to answer the close handshake at shutdown before being cut. */
const CLOSE_HANDSHAKE_GRACE_MS = 2_000;

export interface WebsocketServerOptions {
  maxPayload: number;
  heartbeatSeconds: number;
  /** The instance's SSE streams: ended with the sockets at shutdown, counted in the gauges. */
  streams: { endAll(): void; readonly size: number };
  /** The pub/sub hub, for the subscribed-channels gauge. */
  hub: { channelCount(): number };
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

export default fp<WebsocketServerOptions>(
  async (app, { maxPayload, heartbeatSeconds, streams, hub }) => {
    await app.register(websocket, {
      options: { maxPayload },
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
    }, heartbeatSeconds * 1000);
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
  },
  { name: 'websocket-server' },
);
