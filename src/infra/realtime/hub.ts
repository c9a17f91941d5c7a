// Fan-out across api instances. Every instance keeps ONE Redis subscriber connection and a
// local registry of channels -> listeners (sockets and event streams on this instance). It
// subscribes to a channel in Redis when its first local listener arrives and unsubscribes when
// the last one leaves, so an instance only receives traffic for rooms and users it serves.
// Publishing goes through the ordinary command connection: any instance (or the worker) can
// publish, every instance with listeners delivers.
//
// Messages reach listeners as the Buffer Redis delivered: a room's message is then written to
// each of its sockets without being decoded once and re-encoded per socket (a room of N members
// costs N socket writes of the same bytes, not N UTF-8 encodings).
import type { Redis } from 'ioredis';

export type Listener = (message: Buffer) => void;

/**
 * Wraps the delivery of one message to all of a channel's listeners on this instance, once per
 * message however many listeners there are (the notification feed traces it: one span each).
 */
export type Delivery = (message: Buffer, deliverToAll: () => void) => void;

/** What the realtime services need from the transport; tests may give them another one. */
export interface PubSub {
  publish(channel: string, message: string): Promise<void>;
  /**
   * Resolves once Redis confirmed the subscription; the function removes this listener.
   * `delivery`: every subscriber of a channel passes the same one (the first one is kept).
   */
  subscribe(channel: string, listener: Listener, delivery?: Delivery): Promise<() => void>;
}

interface ChannelEntry {
  listeners: Set<Listener>;
  /** The SUBSCRIBE in flight or done; later listeners of the channel wait on the same one. */
  subscribed: Promise<unknown>;
  delivery?: Delivery;
}

export interface HubPublisher {
  publish(channel: string, message: string): Promise<number>;
}

export class RedisHub implements PubSub {
  private readonly channels = new Map<string, ChannelEntry>();

  constructor(
    private readonly subscriber: Redis,
    private readonly publisher: HubPublisher,
    private readonly onListenerError: (err: unknown) => void = () => {},
  ) {
    subscriber.on('messageBuffer', (channel: Buffer, message: Buffer) => this.dispatch(channel.toString(), message));
  }

  async publish(channel: string, message: string): Promise<void> {
    await this.publisher.publish(channel, message);
  }

  async subscribe(channel: string, listener: Listener, delivery?: Delivery): Promise<() => void> {
    let entry = this.channels.get(channel);
    if (!entry) {
      entry = { listeners: new Set(), subscribed: this.subscriber.subscribe(channel), delivery };
      this.channels.set(channel, entry);
    }
    entry.listeners.add(listener);
    const current = entry;
    try {
      await current.subscribed;
    } catch (err) {
      this.remove(channel, current, listener);
      throw err;
    }
    return () => this.remove(channel, current, listener);
  }

  /** Listeners on this instance for a channel (introspection for tests and metrics). */
  localListeners(channel?: string): number {
    if (channel !== undefined) return this.channels.get(channel)?.listeners.size ?? 0;
    let total = 0;
    for (const entry of this.channels.values()) total += entry.listeners.size;
    return total;
  }

  /** Channels this instance is subscribed to. */
  channelCount(): number {
    return this.channels.size;
  }

  private remove(channel: string, entry: ChannelEntry, listener: Listener): void {
    if (!entry.listeners.delete(listener) || entry.listeners.size > 0) return;
    // Only drop the entry if it is still the live one (a failed SUBSCRIBE may have been replaced).
    if (this.channels.get(channel) === entry) this.channels.delete(channel);
    // Commands on one connection run in order: a SUBSCRIBE issued after this one wins.
    this.subscriber.unsubscribe(channel).catch(() => {
      // Disconnected: if ioredis resubscribes on reconnect, dispatch ignores channels without listeners.
    });
  }

  private dispatch(channel: string, message: Buffer): void {
    const entry = this.channels.get(channel);
    if (!entry) return;
    const deliverToAll = () => {
      for (const listener of entry.listeners) {
        try {
          listener(message);
        } catch (err) {
          this.onListenerError(err);
        }
      }
    };
    if (!entry.delivery) return deliverToAll();
    try {
      entry.delivery(message, deliverToAll);
    } catch (err) {
      this.onListenerError(err);
    }
  }
}
