// Everything a worker process runs: the same configuration, logger and composition root as the
// api (a Fastify instance that never listens), and the BullMQ workers on top. src/worker.ts
// starts it; tests start it in-process with overrides.
import Fastify, { type FastifyBaseLogger } from 'fastify';
import type { Config } from '../config.js';
import container, { type DependencyOverrides } from '../container.js';
import { loggerSetup } from '../logger.js';
import { jwtPlugin } from '../plugins/auth.js';
import configPlugin from '../plugins/config.js';
import prisma from '../plugins/prisma.js';
import redis from '../infra/redis/redis.js';
import { buildProcessors } from '../modules/jobs/processors.js';
import type { QueueName } from '../infra/queues/definitions.js';
import { startWorkers, type WorkerSet } from '../infra/queues/workers.js';

export interface WorkerRuntimeOptions {
  overrides?: DependencyOverrides;
  logStream?: { write(line: string): void };
  queues?: readonly QueueName[];
}

export interface WorkerRuntime {
  workers: WorkerSet;
  log: FastifyBaseLogger;
  /** Finishes the jobs in progress, then closes the database and Redis connections. */
  close(): Promise<void>;
}

export async function startWorkerRuntime(config: Config, options: WorkerRuntimeOptions = {}): Promise<WorkerRuntime> {
  const context = Fastify({
    logger: loggerSetup(config, options.logStream),
  });
  await context.register(configPlugin, { config });
  await context.register(prisma);
  await context.register(redis);
  await context.register(jwtPlugin);
  await context.register(container, { overrides: options.overrides });
  await context.ready();

  const log = context.log.child({ process: 'worker' });
  const workers = await startWorkers({
    config,
    processors: buildProcessors(context.deps),
    log,
    queues: options.queues,
  });
  log.info({ queues: options.queues ?? 'all', concurrency: config.workerConcurrency }, 'worker started');
  return {
    workers,
    log,
    async close() {
      await workers.close();
      await context.close();
    },
  };
}
