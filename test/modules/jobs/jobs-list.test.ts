// GET /api/v1/jobs without `state` pages over every state merged (newest created first), with
// skip and limit applied once to that list rather than to each state.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { App } from '../../../src/compose/api.js';
import { buildTestApp } from '../../helpers/app.js';
import { createAdmin, type TestUser } from '../../helpers/factories/users.js';

// A prefix of its own: no worker of another test file takes these jobs, so the counts are exact.
const env = { REDIS_PREFIX: `${inject('redisPrefix')}jobs-list:` };
let app: App;
let admin: TestUser;

interface JobPage {
  items: Array<{ id: string; state: string; createdAt: string }>;
  total: number;
  skip: number;
  limit: number;
}

const list = async (query: string) => {
  const response = await app.inject({
    method: 'GET',
    url: `/api/v1/jobs?queue=reports&${query}`,
    headers: admin.headers,
  });
  expect(response.statusCode).toBe(200);
  return response.json<JobPage>();
};

beforeAll(async () => {
  app = await buildTestApp({ env });
  admin = await createAdmin(app);
  // Creation times interleave the two states, so a page cut per state would come out wrong.
  const base = Date.now() - 60_000;
  const reports = app.services.queues.queues.reports;
  for (const n of [1, 3, 5])
    await reports.add(
      'items-by-tag',
      { ownerId: admin.id },
      { jobId: `list-waiting-${n}`, timestamp: base + n * 1000 },
    );
  for (const n of [2, 4, 6]) {
    await reports.add(
      'items-by-tag',
      { ownerId: admin.id },
      { jobId: `list-delayed-${n}`, timestamp: base + n * 1000, delay: 3_600_000 },
    );
  }
});
afterAll(async () => {
  await app?.services.queues.queues.reports.obliterate({ force: true });
  await app?.close();
});

describe('GET /api/v1/jobs without a state', () => {
  it('pages over the merged states, newest first, with the total of every state', async () => {
    const pages = [
      await list('limit=2'),
      await list('limit=2&skip=2'),
      await list('limit=2&skip=4'),
      await list('limit=2&skip=6'),
    ];
    expect(pages.map((page) => page.items.map((job) => job.id))).toEqual([
      ['list-delayed-6', 'list-waiting-5'],
      ['list-delayed-4', 'list-waiting-3'],
      ['list-delayed-2', 'list-waiting-1'],
      [],
    ]);
    expect(pages.map((page) => page.total)).toEqual([6, 6, 6, 6]);
    expect(pages[0]!.items.map((job) => job.state)).toEqual(['delayed', 'waiting']);
    const created = pages.flatMap((page) => page.items.map((job) => Date.parse(job.createdAt)));
    expect(created).toEqual([...created].sort((a, b) => b - a));
    expect((await list('limit=100')).items).toHaveLength(6);
  });

  it('still pages one state on its own', async () => {
    const delayed = await list('state=delayed&limit=2&skip=1');
    expect(delayed.total).toBe(3);
    expect(delayed.items).toHaveLength(2);
    expect(delayed.items.every((job) => job.state === 'delayed')).toBe(true);
    const waiting = await list('state=waiting&limit=100');
    expect(waiting.items.map((job) => job.id).sort()).toEqual(['list-waiting-1', 'list-waiting-3', 'list-waiting-5']);
  });
});
