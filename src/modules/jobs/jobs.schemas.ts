import { Type } from 'typebox';
import { DateTime } from '../../lib/openapi.js';
import { Page, paginationProperties } from '../../lib/pagination.js';

// Spelled out (not mapped from QUEUE_NAMES) so the static types keep the literals.
const QueueSchema = Type.Enum(['email', 'imports', 'reports', 'storage']);
const StateSchema = Type.Enum(['waiting', 'active', 'completed', 'failed', 'delayed'], {
  description: "One state, in BullMQ's order for it; left out, every state merged, newest created first",
});

export const JobOut = Type.Object(
  {
    id: Type.String(),
    queue: QueueSchema,
    name: Type.String(),
    ownerId: Type.Union([Type.Integer(), Type.Null()]),
    state: Type.String({ description: 'waiting, active, completed, failed, delayed, ...' }),
    progress: Type.Unknown({ description: 'A percentage or an object set by the job' }),
    result: Type.Unknown({ description: 'What the job returned, once completed' }),
    failedReason: Type.Union([Type.String(), Type.Null()]),
    attemptsMade: Type.Integer(),
    createdAt: DateTime,
    finishedAt: Type.Union([DateTime, Type.Null()]),
  },
  { title: 'Job' },
);

export const JobParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 100, pattern: '^[\\w.-]+$' }) });

export const ListJobsQuery = Type.Object(
  {
    ...paginationProperties,
    queue: QueueSchema,
    state: Type.Optional(StateSchema),
  },
  { additionalProperties: false },
);

export const JobPage = Page(JobOut, 'JobPage');

/** 202 answer of every endpoint that starts a job; Location points at the job. */
export const JobAccepted = Type.Object({ jobId: Type.String() }, { title: 'JobAccepted' });
