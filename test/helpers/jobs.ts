// Background jobs seen the way a client sees them: polling GET /api/v1/jobs/:id.
import { vi } from 'vitest';
import type { App } from '../../src/compose/api.js';

/** Polls the job as `as` until it has completed or failed, and returns what the API says of it. */
export function settledJob<T extends { state: string }>(
  app: App,
  as: { headers: Record<string, string> },
  jobId: string,
  timeout = 20_000,
): Promise<T> {
  return vi.waitFor(
    async () => {
      const response = await app.inject({ method: 'GET', url: `/api/v1/jobs/${jobId}`, headers: as.headers });
      const job = response.json<T>();
      if (response.statusCode !== 200 || !['completed', 'failed'].includes(job.state))
        throw new Error(`job ${jobId}: ${response.body}`);
      return job;
    },
    { timeout, interval: 50 },
  );
}
