// BullMQ workers for the queues, as run by src/worker.ts (and by tests, in-process). Each
// worker reconnects by itself (maxRetriesPerRequest: null, the offline queue on), reports its
// jobs' progress and outcome to the job's owner over Redis pub/sub, and on close() finishes
// the jobs it is running before it stops taking new ones.
import { Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import type { Config } from '../../config.js';
import type { Logger } from '../../lib/logger.js';
import { logOutagesOnce } from '../redis/outages.js';
import { publishNotification, type Notification } from '../realtime/notifications.js';
import { queueTelemetry } from '../telemetry/hooks.js';
import { bullPrefix, type OwnedJobData, type QueueName } from './definitions.js';

export type Processor = (job: Job) => Promise<unknown>;
/** The processor of each queue this process runs; a queue left out gets no worker here. */
export type Processors = Partial<Record<QueueName, Processor>>;

export interface StartWorkersOptions {
  config: Pick<Config, 'redisUrl' | 'redisPrefix' | 'workerConcurrency' | 'jobLockDuration' | 'jobStalledInterval'>;
  processors: Processors;
  log: Logger;
}

export interface WorkerSet {
  workers: Worker[];
  /** Waits for the jobs in progress to finish, then disconnects. */
  close(): Promise<void>;
}

export async function startWorkers(options: StartWorkersOptions): Promise<WorkerSet> {
  const { config, processors, log } = options;
  // Workers block on Redis and must ride out outages: no per-command retry limit.
  const connection = new Redis(config.redisUrl, { maxRetriesPerRequest: null });
  // Notifications are best effort: a failed publish never fails a job.
  const publisher = new Redis(config.redisUrl, { maxRetriesPerRequest: 1 });
  logOutagesOnce(connection, log, 'worker redis connection');
  publisher.on('error', () => {});

  const notify = (job: Job | undefined, notification: Notification) => {
    const ownerId = (job?.data as OwnedJobData | undefined)?.ownerId;
    if (typeof ownerId !== 'number') return;
    publishNotification(publisher, config.redisPrefix, ownerId, notification).catch((err: unknown) =>
      log.warn({ err, jobId: job?.id }, 'job notification not published'),
    );
  };

  const workers = (Object.entries(processors) as Array<[QueueName, Processor]>).map(([queue, processor]) => {
    const worker = new Worker(queue, processor, {
      connection,
      prefix: bullPrefix(config),
      concurrency: config.workerConcurrency,
      // A killed worker stops renewing its lock; the stalled check of a live worker then puts
      // the job back in the queue (processors are idempotent, so the rerun does no harm).
      lockDuration: config.jobLockDuration * 1000,
      stalledInterval: config.jobStalledInterval * 1000,
      // With tracing on, a job's span is a child of the span that enqueued it.
      telemetry: queueTelemetry(),
    });
    worker.on('progress', (job, progress) =>
      notify(job, {
        type: 'job.progress',
        jobId: String(job.id),
        queue,
        progress: typeof progress === 'number' || typeof progress === 'object' ? progress : { value: progress },
      }),
    );
    worker.on('completed', (job, result) => {
      log.info({ queue, jobId: job.id, attempts: job.attemptsMade }, 'job completed');
      notify(job, { type: 'job.completed', jobId: String(job.id), queue, result });
    });
    worker.on('failed', (job, err) => {
      const final = !job || job.attemptsMade >= (job.opts.attempts ?? 1) || err.name === 'UnrecoverableError';
      log.warn(
        { queue, jobId: job?.id, attempt: job?.attemptsMade, final, err },
        final ? 'job failed' : 'job attempt failed, will retry',
      );
      if (final) notify(job, { type: 'job.failed', jobId: String(job?.id), queue, error: err.message });
    });
    worker.on('error', (err) => log.error({ err, queue }, 'worker error'));
    return worker;
  });
  await Promise.all(workers.map((worker) => worker.waitUntilReady()));

  return {
    workers,
    async close() {
      await Promise.all(workers.map((worker) => worker.close()));
      await Promise.all([
        connection.quit().catch(() => connection.disconnect()),
        publisher.quit().catch(() => publisher.disconnect()),
      ]);
    },
  };
}
