// The BullMQ side of the api: one Queue per name over one connection of its own (BullMQ cannot
// share the cache connection, which has a keyPrefix). That connection never queues commands
// while Redis is away, so enqueueing fails at once with a 503 instead of hanging a request.
import { Queue, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Config } from '../../config.js';
import { ServiceUnavailableError } from '../../lib/errors.js';
import { bullPrefix, defaultJobOptions, QUEUE_NAMES, type JobEnqueuer, type OwnedJobData, type QueueName } from './queues.js';

/** Upper bound on one queue call when Redis accepts the connection but does not answer. */
const QUEUE_CALL_TIMEOUT_MS = 2_000;

export const JOB_STATES = ['waiting', 'active', 'completed', 'failed', 'delayed'] as const;
export type JobState = (typeof JOB_STATES)[number];

/** A job as the jobs API shows it: never its data, which may hold an email body. */
export interface JobRecord {
  id: string;
  queue: QueueName;
  name: string;
  ownerId: number | null;
  state: string;
  progress: unknown;
  result: unknown;
  failedReason: string | null;
  attemptsMade: number;
  createdAt: Date;
  finishedAt: Date | null;
}

/** What the jobs service reads; JobQueues implements it. */
export interface JobLookup {
  find(id: string): Promise<JobRecord | null>;
  list(queue: QueueName, states: readonly JobState[], skip: number, limit: number): Promise<{ jobs: JobRecord[]; total: number }>;
}

async function toRecord(queue: QueueName, job: Job<OwnedJobData>, knownState?: string): Promise<JobRecord> {
  return {
    id: String(job.id),
    queue,
    name: job.name,
    ownerId: job.data?.ownerId ?? null,
    state: knownState ?? (await job.getState()),
    progress: job.progress,
    result: job.returnvalue ?? null,
    failedReason: job.failedReason || null,
    attemptsMade: job.attemptsMade,
    createdAt: new Date(job.timestamp),
    finishedAt: job.finishedOn ? new Date(job.finishedOn) : null,
  };
}

export class JobQueues implements JobEnqueuer, JobLookup {
  readonly queues: Record<QueueName, Queue<OwnedJobData>>;

  constructor(
    private readonly connection: Redis,
    config: Pick<Config, 'redisPrefix' | 'jobAttempts' | 'jobBackoffMs'>,
    onError: (err: Error) => void,
  ) {
    const make = (name: QueueName) => {
      const queue = new Queue<OwnedJobData>(name, { connection, prefix: bullPrefix(config), defaultJobOptions: defaultJobOptions(config, name) });
      queue.on('error', onError);
      return queue;
    };
    this.queues = Object.fromEntries(QUEUE_NAMES.map((name) => [name, make(name)])) as Record<QueueName, Queue<OwnedJobData>>;
  }

  isAvailable(): boolean {
    return this.connection.status === 'ready';
  }

  async enqueue(queue: QueueName, name: string, data: OwnedJobData, options: { jobId?: string } = {}): Promise<string> {
    const job = await this.call(() => this.queues[queue].add(name, data, options.jobId ? { jobId: options.jobId } : {}));
    // BullMQ always assigns an id when the job is added.
    return job.id as string;
  }

  /** Looks a job up in every queue: job ids carry their queue's name, so at most one matches. */
  async find(id: string): Promise<JobRecord | null> {
    return this.call(async () => {
      const found = await Promise.all(QUEUE_NAMES.map(async (queue) => ({ queue, job: await this.queues[queue].getJob(id) })));
      const match = found.find((entry) => entry.job);
      if (!match?.job) return null;
      // The state and the job's fields are two reads: a job that finished in between would show
      // the old attempt count with the new state. Once finished it no longer changes, so read
      // the fields again after a final state.
      const state = await match.job.getState();
      const latest = state === 'completed' || state === 'failed' ? await this.queues[match.queue].getJob(id) : match.job;
      return latest ? toRecord(match.queue, latest, state) : null;
    });
  }

  async list(queue: QueueName, states: readonly JobState[], skip: number, limit: number): Promise<{ jobs: JobRecord[]; total: number }> {
    const q = this.queues[queue];
    return this.call(async () => {
      const [jobs, total] = await Promise.all([q.getJobs([...states], skip, skip + limit - 1, false), q.getJobCountByTypes(...states)]);
      // A job removed between the two calls comes back as undefined.
      const present = jobs.filter(Boolean);
      const records = await Promise.all(present.map((job) => toRecord(queue, job, states.length === 1 ? states[0] : undefined)));
      return { jobs: records, total };
    });
  }

  async close(): Promise<void> {
    await Promise.all(Object.values(this.queues).map((queue) => queue.close().catch(() => {})));
  }

  /** Runs a queue call with Redis down turned into a fast 503. */
  private async call<T>(operation: () => Promise<T>): Promise<T> {
    if (!this.isAvailable()) throw unavailable();
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        operation(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error('queue call timed out')), QUEUE_CALL_TIMEOUT_MS);
        }),
      ]);
    } catch (err) {
      throw unavailable(err);
    } finally {
      clearTimeout(timer);
    }
  }
}

function unavailable(cause?: unknown): ServiceUnavailableError {
  const error = new ServiceUnavailableError('The job queue is unavailable, try again later');
  if (cause) Object.defineProperty(error, 'cause', { value: cause });
  return error;
}
