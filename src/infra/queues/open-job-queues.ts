// The api's side of the queues: producers only (jobs run in the worker process). BullMQ needs a
// connection of its own without keyPrefix (it has its own `prefix`); like the cache connection it
// fails commands at once while Redis is down, so enqueueing answers 503 instead of hanging.
import type { Logger } from '../../lib/logger.js';
import { logOutagesOnce } from '../redis/outages.js';
import { closeRedis, createRedis } from '../redis/redis.js';
import { JobQueues } from './job-queues.js';

export interface QueueConfig {
  redisUrl: string;
  redisPrefix: string;
  jobAttempts: number;
  jobBackoffMs: number;
}

export async function openJobQueues(config: QueueConfig, log: Logger): Promise<JobQueues> {
  const connection = createRedis(config.redisUrl, '');
  logOutagesOnce(connection, log, 'job queue connection');
  // Start even when Redis is away: enqueueing answers 503 until it is back.
  await connection.connect().catch(() => {});
  return new JobQueues(connection, config, {
    onError: (err) => log.debug({ err }, 'queue error'),
    onClose: () => closeRedis(connection),
  });
}
