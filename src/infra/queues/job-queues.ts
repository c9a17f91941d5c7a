// The BullMQ side of the api: one Queue per name over one connection of its own (BullMQ cannot
// share the cache connection, which has a keyPrefix). That connection never queues commands
// while Redis is away, so enqueueing fails at once with a 503 instead of hanging a request.
// Producing and reading jobs (for the jobs API) share the queues and the outage handling, hence
// one file of about 210 lines.
import { Queue, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { ServiceUnavailableError } from '../../lib/errors.js';
import {
  bullPrefix,
  defaultJobOptions,
  QUEUE_NAMES,
  type JobEnqueuer,
  type OwnedJobData,
  type QueueName,
} from './definitions.js';
import { queueTelemetry } from '../telemetry/hooks.js';

/** Upper bound on one queue call when Redis accepts the connection but does not answer. */
const QUEUE_CALL_TIMEOUT_MS = 2_000;

/** Job hashes read per pipeline when several states are listed together. */
const TIMESTAMP_CHUNK = 1_000;

/** Ties between jobs created in the same millisecond: `9` before `10` for numeric ids. */
const compareIds = new Intl.Collator('en', { numeric: true }).compare;

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
  list(
    queue: QueueName,
    states: readonly JobState[],
    skip: number,
    limit: number,
  ): Promise<{ jobs: JobRecord[]; total: number }>;
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
    config: { redisPrefix: string; jobAttempts: number; jobBackoffMs: number },
    private readonly hooks: { onError: (err: Error) => void; onClose?: () => Promise<void> },
  ) {
    const make = (name: QueueName) => {
      const queue = new Queue<OwnedJobData>(name, {
        connection,
        prefix: bullPrefix(config),
        defaultJobOptions: defaultJobOptions(config, name),
        // With tracing on, each job carries its enqueue's trace context to the worker.
        telemetry: queueTelemetry(),
      });
      queue.on('error', hooks.onError);
      return queue;
    };
    this.queues = Object.fromEntries(QUEUE_NAMES.map((name) => [name, make(name)])) as Record<
      QueueName,
      Queue<OwnedJobData>
    >;
  }

  isAvailable(): boolean {
    return this.connection.status === 'ready';
  }

  async enqueue(queue: QueueName, name: string, data: OwnedJobData, options: { jobId?: string } = {}): Promise<string> {
    const job = await this.call(() =>
      this.queues[queue].add(name, data, options.jobId ? { jobId: options.jobId } : {}),
    );
    // BullMQ always assigns an id when the job is added.
    return job.id as string;
  }

  /** Looks a job up in every queue: job ids carry their queue's name, so at most one matches. */
  async find(id: string): Promise<JobRecord | null> {
    return this.call(async () => {
      const found = await Promise.all(
        QUEUE_NAMES.map(async (queue) => ({ queue, job: await this.queues[queue].getJob(id) })),
      );
      const match = found.find((entry) => entry.job);
      if (!match?.job) return null;
      // The state and the job's fields are two reads: a job that finished in between would show
      // the old attempt count with the new state. Once finished it no longer changes, so read
      // the fields again after a final state.
      const state = await match.job.getState();
      const latest =
        state === 'completed' || state === 'failed' ? await this.queues[match.queue].getJob(id) : match.job;
      return latest ? toRecord(match.queue, latest, state) : null;
    });
  }

  /**
   * One state is paged by BullMQ in that state's own order. Several states are paged over their
   * merged list, newest created first: BullMQ would apply skip and limit to each state on its
   * own (limit 2 over waiting and delayed answers up to 4 jobs), so the ids of every listed state
   * are read and ordered here. That costs one read per job of those states; completed and
   * failed jobs are bounded by their retention, so it stays small for an admin listing.
   */
  async list(
    queue: QueueName,
    states: readonly JobState[],
    skip: number,
    limit: number,
  ): Promise<{ jobs: JobRecord[]; total: number }> {
    const q = this.queues[queue];
    const [only] = states;
    if (states.length === 1 && only) {
      return this.call(async () => {
        const [jobs, total] = await Promise.all([
          q.getJobs([only], skip, skip + limit - 1, false),
          q.getJobCountByTypes(only),
        ]);
        // A job removed between the two calls comes back as undefined.
        const records = await Promise.all(jobs.filter(Boolean).map((job) => toRecord(queue, job, only)));
        return { jobs: records, total };
      });
    }
    return this.call(async () => {
      // One script call: a consistent snapshot of the ids across states, without duplicates.
      const ids = await q.getRanges([...states], 0, -1);
      const created = await this.timestamps(q, ids);
      const listed = ids
        .map((id, index) => ({ id, timestamp: created[index] }))
        // No timestamp: the job was removed after its id was read (or the id is a legacy marker).
        .filter((entry): entry is { id: string; timestamp: number } => entry.timestamp !== undefined)
        .sort((a, b) => b.timestamp - a.timestamp || compareIds(b.id, a.id));
      const page = await Promise.all(listed.slice(skip, skip + limit).map(({ id }) => q.getJob(id)));
      const records = await Promise.all(
        page.filter((job): job is Job<OwnedJobData> => Boolean(job)).map((job) => toRecord(queue, job)),
      );
      return { jobs: records, total: listed.length };
    });
  }

  /** Creation times of jobs by id, read in pipelined chunks; undefined for a job that is gone. */
  private async timestamps(q: Queue<OwnedJobData>, ids: readonly string[]): Promise<Array<number | undefined>> {
    const times: Array<number | undefined> = [];
    for (let start = 0; start < ids.length; start += TIMESTAMP_CHUNK) {
      const pipeline = this.connection.pipeline();
      for (const id of ids.slice(start, start + TIMESTAMP_CHUNK)) pipeline.hget(q.toKey(id), 'timestamp');
      const replies = (await pipeline.exec()) ?? [];
      for (const [err, value] of replies) {
        if (err) throw err;
        times.push(typeof value === 'string' && value !== '' ? Number(value) : undefined);
      }
    }
    return times;
  }

  async close(): Promise<void> {
    await Promise.all(Object.values(this.queues).map((queue) => queue.close().catch(() => {})));
    await this.hooks.onClose?.();
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
