// Per-user notification feed: what the worker (or any service) publishes with
// `publishNotification` reaches the user's sockets and event streams on whichever instance.
import type { PubSub } from '../../infra/realtime/hub.js';
import { notificationHeader, userChannel } from '../../infra/realtime/notifications.js';
import { messageTracing } from '../../infra/telemetry/hooks.js';

/** How a user's connection receives the feed; counted on the delivery span. */
export type FeedConnection = 'websocket' | 'sse';

export class NotificationFeed {
  /** During a traced delivery (synchronous: the hub calls every listener in one go), the connections reached. */
  private reached: Record<FeedConnection, number> | undefined;

  constructor(
    private readonly pubsub: PubSub,
    private readonly redisPrefix: string,
  ) {}

  /** Starts delivering the user's notifications (UTF-8 JSON bytes) to `deliver`; returns the stop function. */
  follow(userId: number, connection: FeedConnection, deliver: (notification: Buffer) => void): Promise<() => void> {
    const listener = (notification: Buffer) => {
      if (this.reached) this.reached[connection]++;
      deliver(notification);
    };
    return this.pubsub.subscribe(userChannel(this.redisPrefix, userId), listener, this.delivery);
  }

  /**
   * With tracing on, one CONSUMER span per notification this instance delivers, a child of the
   * job that published it: the trace ends at the user's connections. Tracing off: the bytes go
   * out as they came, unparsed. No span without a connection to deliver to: an instance with
   * none of the user's connections is not subscribed to the channel (hub.ts), and one whose last
   * connection just left drops the message in the hub before it gets here. Recording a span
   * per instance would cost every instance a parse for nothing anyone could look at.
   */
  private readonly delivery = (notification: Buffer, deliverToAll: () => void): void => {
    const tracing = messageTracing();
    if (!tracing) return deliverToAll();
    const { type, traceparent } = notificationHeader(notification);
    tracing.consume('notification deliver', traceparent, (record) => {
      const reached = (this.reached = { websocket: 0, sse: 0 });
      try {
        deliverToAll();
      } finally {
        this.reached = undefined;
      }
      record({
        'messaging.system': 'redis',
        'messaging.operation.type': 'process',
        'notification.type': type ?? 'unknown',
        'notification.connections.websocket': reached.websocket,
        'notification.connections.sse': reached.sse,
      });
    });
  };
}
