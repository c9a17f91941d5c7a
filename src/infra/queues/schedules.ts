// Repeatable jobs: BullMQ job schedulers, upserted by every worker that serves their queue.
// Upserting is idempotent (one scheduler per id, whatever the number of workers), so scaling
// workers never multiplies the runs, and changing the interval here takes effect on deploy.
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { bullPrefix, type QueueName } from './definitions.js';

export interface Schedule {
  id: string;
  queue: QueueName;
  /** The job's name, as its processor and the dashboard see it. */
  name: string;
  everyMs: number;
}

const HOUR_MS = 3600_000;

export const SCHEDULES: readonly Schedule[] = [
  // Orphan objects cost storage only, so hourly is plenty; see storage-sweep.processor.ts.
  { id: 'storage-sweep', queue: 'storage', name: 'sweep', everyMs: HOUR_MS },
];

/** Upserts the schedulers of the queues this process serves. */
export async function upsertSchedules(
  config: { redisUrl: string; redisPrefix: string },
  queues: readonly QueueName[],
  schedules: readonly Schedule[] = SCHEDULES,
): Promise<void> {
  const wanted = schedules.filter((s) => queues.includes(s.queue));
  if (wanted.length === 0) return;
  // A connection of its own, closed at the end: BullMQ leaves a connection it was given open.
  const connection = new Redis(config.redisUrl, { maxRetriesPerRequest: null });
  try {
    for (const schedule of wanted) await upsertOne(connection, config, schedule);
  } finally {
    await connection.quit().catch(() => connection.disconnect());
  }
}

async function upsertOne(connection: Redis, config: { redisPrefix: string }, schedule: Schedule): Promise<void> {
  const queue = new Queue(schedule.queue, { connection, prefix: bullPrefix(config) });
  try {
    await queue.upsertJobScheduler(
      schedule.id,
      { every: schedule.everyMs },
      // Nobody in particular asked for it: visible to admins only (see OwnedJobData).
      { name: schedule.name, data: { ownerId: null } },
    );
  } finally {
    await queue.close();
  }
}
