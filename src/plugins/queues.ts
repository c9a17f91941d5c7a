// The api's job queues (email, imports, reports). Producers only: jobs run in the worker
// process (src/worker.ts). The connection has no keyPrefix (BullMQ uses its own `prefix`) and,
// like the cache connection, fails commands at once while Redis is down.
import fp from 'fastify-plugin';
import { JobQueues } from '../infra/queues/job-queues.js';
import { createRedis } from '../infra/redis/redis.js';

declare module 'fastify' {
  interface FastifyInstance {
    queues: JobQueues;
  }
}

export default fp(
  async (app) => {
    const connection = createRedis(app.config.redisUrl, '');
    let down = false;
    connection.on('error', (err) => {
      if (!down) app.log.warn({ err }, 'job queue connection unavailable');
      down = true;
    });
    connection.on('ready', () => {
      if (down) app.log.info('job queue connection restored');
      down = false;
    });
    // Start even when Redis is away: enqueueing answers 503 until it is back.
    await connection.connect().catch(() => {});
    const queues = new JobQueues(connection, app.config, (err) => app.log.debug({ err }, 'queue error'));
    app.decorate('queues', queues);
    app.addHook('onClose', async () => {
      await queues.close();
      await connection.quit().catch(() => connection.disconnect());
    });
  },
  { name: 'queues', dependencies: ['config'] },
);
