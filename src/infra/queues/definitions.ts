// The background queues and the rules every job follows, shared by the api (which enqueues)
// and the worker (which processes). Adding a queue = a name here, its defaults below, and a
// processor in the worker's composition root (src/compose/worker.ts; see docs/jobs.md). It
// imports nothing: config.ts reads WORKER_QUEUES against these names.
import type { DefaultJobOptions } from 'bullmq';

export const QUEUE_NAMES = ['email', 'imports', 'reports', 'storage'] as const;
export type QueueName = (typeof QUEUE_NAMES)[number];

/** Every job's data says who asked for it: the jobs API and notifications go to that user. */
export interface OwnedJobData {
  /** null for jobs nobody in particular asked for (visible to admins only). */
  ownerId: number | null;
}

/** What a service needs to put work on a queue; the BullMQ adapter implements it. */
export interface JobEnqueuer {
  /** Resolves to the job id; with `jobId`, adding the same id again returns the existing job. */
  enqueue(queue: QueueName, name: string, data: OwnedJobData, options?: { jobId?: string }): Promise<string>;
  /** False while Redis is unreachable: lets a caller refuse work before doing any of it. */
  isAvailable(): boolean;
}

/**
 * BullMQ keys live under the app's Redis prefix too (BullMQ refuses ioredis' keyPrefix and has
 * its own `prefix` option), so apps and test runs sharing a server never see each other's jobs.
 */
export function bullPrefix(config: { redisPrefix: string }): string {
  return `${config.redisPrefix}bull`;
}

const HOUR = 3600;
const DAY = 24 * HOUR;

export function defaultJobOptions(
  config: { jobAttempts: number; jobBackoffMs: number },
  queue: QueueName,
): DefaultJobOptions {
  return {
    attempts: config.jobAttempts,
    backoff: { type: 'exponential', delay: config.jobBackoffMs },
    // Finished jobs stay readable (jobs API, dashboard) for a while, then go; failed ones stay
    // longer so someone can look at them. Email jobs carry message bodies (a reset link is a
    // secret), so completed ones are kept only briefly.
    removeOnComplete: queue === 'email' ? { age: HOUR, count: 1000 } : { age: DAY, count: 1000 },
    removeOnFail: { age: 7 * DAY, count: 5000 },
  };
}
