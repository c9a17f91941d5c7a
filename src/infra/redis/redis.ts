// One shared ioredis connection for commands (cache, rate limits, deny-list). It never queues
// commands while disconnected: a Redis outage makes calls fail at once, and each feature
// decides how to degrade instead of hanging requests. A Redis that accepts connections but does
// not answer (frozen, overloaded) raises no error at all: commandTimeout is the outer bound of
// every command, the handshake's included, and the features bound their own waits well below it.
import { Redis } from 'ioredis';
import type { Logger } from '../../lib/logger.js';
import { budget } from '../../lib/resilience.js';
import { logOutagesOnce } from './outages.js';

/** How long start-up waits for a connection before going on without it (it keeps trying). */
export const STARTUP_CONNECT_WAIT_MS = 1_000;

export function createRedis(
  url: string,
  keyPrefix: string,
  options: { commandTimeout?: number; connectionName?: string } = {},
): Redis {
  return new Redis(url, {
    keyPrefix,
    // Shown by CLIENT LIST, so an operator can tell this app's connections apart.
    ...(options.connectionName ? { connectionName: options.connectionName } : {}),
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    // connectTimeout covers the TCP handshake only, which a frozen server's kernel completes;
    // the ready check (INFO) that follows is bounded by commandTimeout.
    connectTimeout: 2_000,
    commandTimeout: options.commandTimeout ?? 1_000,
    // CLIENT SETINFO is cosmetic, and with a silent server it would add a whole commandTimeout
    // before the ready check even starts.
    disableClientInfo: true,
    // A failed handshake ends the socket and waits this long for the server's FIN before
    // destroying it; a frozen server never sends one (default 2 s, before every reconnection).
    disconnectTimeout: 200,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
  });
}

/**
 * Connects, but gives up waiting after STARTUP_CONNECT_WAIT_MS: the client keeps reconnecting in
 * the background, features degrade until it is ready, and start-up never hangs on Redis.
 */
export async function connectAtStartup(redis: Redis): Promise<void> {
  await budget(STARTUP_CONNECT_WAIT_MS).execute(() => redis.connect());
}

/**
 * The app's command connection (cache, rate limits, deny-list, tickets), keyed under the app's
 * prefix, and the wait for it at start-up. Start-up goes on without Redis after
 * STARTUP_CONNECT_WAIT_MS: readiness reports it, and features degrade until it is back.
 */
export function openRedis(
  config: { redisUrl: string; redisPrefix: string },
  log: Logger,
): { redis: Redis; connected: Promise<void> } {
  const redis = createRedis(config.redisUrl, config.redisPrefix);
  logOutagesOnce(redis, log, 'redis');
  const connected = connectAtStartup(redis).catch((err: unknown) =>
    log.warn({ err }, 'redis not reachable at start-up'),
  );
  return { redis, connected };
}

/** Closes politely (QUIT), or at once when Redis does not answer. */
export async function closeRedis(redis: Redis): Promise<void> {
  await redis.quit().catch(() => redis.disconnect());
}
