// An instance's pub/sub hub: one subscriber connection of its own (a connection in subscriber
// mode cannot run other commands) and the app's command connection for publishing.
import type { Logger } from '../../lib/logger.js';
import { logOutagesOnce } from '../redis/outages.js';
import { closeRedis, connectAtStartup, createRedis } from '../redis/redis.js';
import { RedisHub, type HubPublisher } from './hub.js';

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

export interface OpenHub {
  hub: RedisHub;
  close(): Promise<void>;
}

export async function openRealtimeHub(
  config: { redisUrl: string; redisPrefix: string },
  publisher: HubPublisher,
  log: Logger,
): Promise<OpenHub> {
  // No keyPrefix: it would not apply to channel names anyway; channels carry the prefix themselves.
  const subscriber = createRedis(config.redisUrl, '', {
    commandTimeout: SUBSCRIBER_COMMAND_TIMEOUT_MS,
    connectionName: subscriberName(config.redisPrefix),
  });
  logOutagesOnce(subscriber, log, 'redis subscriber');
  try {
    await connectAtStartup(subscriber);
  } catch (err) {
    log.warn({ err }, 'redis subscriber not reachable at start-up');
  }
  const hub = new RedisHub(subscriber, publisher, (err) => log.error({ err }, 'realtime listener failed'));
  return { hub, close: () => closeRedis(subscriber) };
}
