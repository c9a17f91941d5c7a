// One shared ioredis connection for commands (cache, rate limits, deny-list). It never queues
// commands while disconnected: a Redis outage makes calls fail at once, and each feature
// decides how to degrade instead of hanging requests.
import fp from 'fastify-plugin';
import { Redis } from 'ioredis';

declare module 'fastify' {
  interface FastifyInstance {
    redis: Redis;
  }
}

export function createRedis(url: string, keyPrefix: string): Redis {
  return new Redis(url, {
    keyPrefix,
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 2_000,
    commandTimeout: 1_000,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
  });
}

export default fp(
  async (app) => {
    const redis = createRedis(app.config.redisUrl, app.config.redisPrefix);
    let down = false;
    // One log line per outage, not one per failed command.
    redis.on('error', (err) => {
      if (!down) app.log.warn({ err }, 'redis unavailable');
      down = true;
    });
    redis.on('ready', () => {
      if (down) app.log.info('redis connection restored');
      down = false;
    });
    try {
      await redis.connect();
    } catch (err) {
      // Start anyway: readiness reports the outage and features degrade until it reconnects.
      app.log.warn({ err }, 'redis not reachable at start-up');
    }
    app.decorate('redis', redis);
    app.addHook('onClose', async () => {
      await redis.quit().catch(() => redis.disconnect());
    });
  },
  { name: 'redis', dependencies: ['config'] },
);
