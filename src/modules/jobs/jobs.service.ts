// Who may see which job: its owner and admins. Anyone else gets the same 404 as for a job that
// does not exist, so job ids cannot be probed.
import type { Caller } from '../../lib/caller.js';
import { NotFoundError } from '../../lib/errors.js';
import type { PageResult, Pagination } from '../../lib/pagination.js';
import type { JobLookup, JobRecord, JobState } from '../../infra/queues/job-queues.js';
import { JOB_STATES } from '../../infra/queues/job-queues.js';
import type { QueueName } from '../../infra/queues/definitions.js';

export type JobView = Omit<JobRecord, 'ownerId'> & { ownerId: number | null };

export class JobsService {
  constructor(private readonly jobs: JobLookup) {}

  async get(actor: Pick<Caller, 'id' | 'role'>, id: string): Promise<JobView> {
    const job = await this.jobs.find(id);
    if (!job || (job.ownerId !== actor.id && actor.role !== 'ADMIN')) throw new NotFoundError('Job not found');
    return job;
  }

  async list(queue: QueueName, state: JobState | undefined, page: Pagination): Promise<PageResult<JobView>> {
    const { jobs, total } = await this.jobs.list(queue, state ? [state] : JOB_STATES, page.skip, page.limit);
    return { items: jobs, total, totalIsExact: true, ...page };
  }
}
