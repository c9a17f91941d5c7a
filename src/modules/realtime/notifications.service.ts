// Per-user notification feed: what the worker (or any service) publishes with
// `publishNotification` reaches the user's sockets and event streams on whichever instance.
import { userChannel } from '../../infra/realtime/notifications.js';
import type { PubSub } from '../../infra/realtime/hub.js';

export class NotificationFeed {
  constructor(
    private readonly pubsub: PubSub,
    private readonly redisPrefix: string,
  ) {}

  /** Starts delivering the user's notifications (UTF-8 JSON bytes) to `deliver`; returns the stop function. */
  follow(userId: number, deliver: (notification: Buffer) => void): Promise<() => void> {
    return this.pubsub.subscribe(userChannel(this.redisPrefix, userId), deliver);
  }
}
