// Notifications reach their owner over WebSocket and SSE on any instance: published through the
// notification contract, and produced by a real BullMQ job run by the real worker code.
import { randomBytes } from 'node:crypto';
import { Queue, UnrecoverableError, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { publishNotification, userChannel } from '../../../src/infra/realtime/notifications.js';
import { bullPrefix, type OwnedJobData } from '../../../src/infra/queues/definitions.js';
import { startWorkerRuntime, type WorkerRuntime } from '../../../src/compose/worker.js';
import { startWorkers, type Processors, type WorkerSet } from '../../../src/infra/queues/workers.js';
import { problemOf, testConfig } from '../../helpers/app.js';
import { createApiKey } from '../../helpers/factories/api-keys.js';
import { createAdmin, createUser, type TestUser } from '../../helpers/factories/users.js';
import { connect, eventually, SseReader, startInstance, type Instance } from './realtime-clients.js';

interface NotificationFrame {
  type: string;
  jobId: string;
  queue: string;
  progress?: unknown;
  result?: unknown;
  error?: string;
}

const redisPrefix = inject('redisPrefix');
let a: Instance;
let b: Instance;
let alice: TestUser;
let bob: TestUser;
let publisher: Redis;

beforeAll(async () => {
  [a, b] = await Promise.all([startInstance({ env: { SSE_HEARTBEAT_INTERVAL: '1' } }), startInstance()]);
  [alice, bob] = await Promise.all([createUser(a.app, { name: 'Alice' }), createUser(b.app, { name: 'Bob' })]);
  publisher = new Redis(inject('redisUrl'));
});

afterAll(async () => {
  await publisher?.quit();
  await Promise.all([a?.app.close(), b?.app.close()]);
});

const wsUrl = (instance: Instance, user: TestUser) => `${instance.ws}/ws/notifications?token=${user.accessToken}`;
const subscribers = async (channel: string) =>
  Number(((await publisher.pubsub('NUMSUB', channel)) as [string, number])[1]);

describe('/ws/notifications', () => {
  it("delivers a user's notifications to all of their sockets on every instance, and to no one else", async () => {
    const aliceOnA = await connect(wsUrl(a, alice));
    const aliceOnB = await connect(wsUrl(b, alice));
    const bobOnA = await connect(wsUrl(a, bob));
    await eventually(
      async () => (await subscribers(userChannel(redisPrefix, alice.id))) === 2,
      'both instances subscribed',
    );
    await eventually(async () => (await subscribers(userChannel(redisPrefix, bob.id))) === 1, 'bob subscribed');

    await publishNotification(publisher, redisPrefix, alice.id, {
      type: 'job.progress',
      jobId: 'j1',
      queue: 'reports',
      progress: 40,
    });
    await publishNotification(publisher, redisPrefix, bob.id, {
      type: 'job.completed',
      jobId: 'j2',
      queue: 'reports',
      result: { rows: 1 },
    });

    for (const client of [aliceOnA, aliceOnB]) {
      expect(await client.waitFor((m: NotificationFrame) => m.jobId === 'j1')).toEqual({
        type: 'job.progress',
        jobId: 'j1',
        queue: 'reports',
        progress: 40,
      });
    }
    await bobOnA.waitFor((m: NotificationFrame) => m.jobId === 'j2');
    expect(aliceOnA.messages.concat(aliceOnB.messages).some((m) => (m as NotificationFrame).jobId === 'j2')).toBe(
      false,
    );
    expect(bobOnA.messages.some((m) => (m as NotificationFrame).jobId === 'j1')).toBe(false);

    await Promise.all([aliceOnA.close(), aliceOnB.close(), bobOnA.close()]);
    // The last local listener gone, each instance unsubscribes from Redis.
    await eventually(
      async () => (await subscribers(userChannel(redisPrefix, alice.id))) === 0,
      'alice unsubscribed everywhere',
    );
  });

  it('refuses the upgrade without a valid token', async () => {
    await expect(connect(`${a.ws}/ws/notifications`)).rejects.toMatchObject({ statusCode: 401 });
    await expect(connect(`${a.ws}/ws/notifications?token=nope`)).rejects.toMatchObject({ statusCode: 401 });
  });
});

describe('GET /api/v1/events (SSE)', () => {
  it('answers 401 problem+json without credentials or with a bad token', async () => {
    const anonymous = await a.app.inject({ method: 'GET', url: '/api/v1/events' });
    expect(anonymous.statusCode).toBe(401);
    expect(problemOf(anonymous).status).toBe(401);
    expect(anonymous.headers['www-authenticate']).toMatch(/^Bearer/);
    const bad = await a.app.inject({ method: 'GET', url: '/api/v1/events', headers: { authorization: 'Bearer nope' } });
    expect(bad.statusCode).toBe(401);
    expect(bad.headers['www-authenticate']).toMatch(/^Bearer/);
  });

  it('streams notifications as named events with heartbeat comments, and cleans up on disconnect', async () => {
    const carol = await createUser(a.app, { name: 'Carol' });
    // Asking for compression must not get it: a compressor would buffer the events.
    const stream = await SseReader.open(`${a.http}/api/v1/events`, { ...carol.headers, 'accept-encoding': 'gzip, br' });
    expect(stream.response.statusCode).toBe(200);
    expect(stream.response.headers['content-encoding']).toBeUndefined();
    expect(stream.response.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    expect(stream.response.headers['cache-control']).toBe('no-cache, no-transform');
    expect(stream.response.headers['x-request-id']).toBeTruthy();
    await stream.waitFor((e) => e.comment === 'connected');
    await eventually(async () => (await subscribers(userChannel(redisPrefix, carol.id))) === 1, 'stream subscribed');

    await publishNotification(publisher, redisPrefix, carol.id, {
      type: 'job.failed',
      jobId: 'j3',
      queue: 'imports',
      error: 'bad CSV',
    });
    const event = await stream.waitFor((e) => e.event === 'job.failed');
    expect(JSON.parse(event.data ?? '')).toEqual({
      type: 'job.failed',
      jobId: 'j3',
      queue: 'imports',
      error: 'bad CSV',
    });
    await stream.waitFor((e) => e.comment === 'heartbeat', 'a heartbeat comment');
    const metrics = await a.app.inject({
      method: 'GET',
      url: '/metrics',
      headers: {
        authorization: `Basic ${Buffer.from(`${a.app.config.metricsUsername}:${a.app.config.metricsPassword}`).toString('base64')}`,
      },
    });
    expect(metrics.body).toMatch(/^realtime_sse_streams 1$/m);
    expect(metrics.body).toMatch(/^realtime_websocket_connections \d+$/m);
    expect(metrics.body).toMatch(/^realtime_subscribed_channels [1-9]\d*$/m);

    stream.close();
    await eventually(
      async () => (await subscribers(userChannel(redisPrefix, carol.id))) === 0,
      'unsubscribed after disconnect',
    );
    expect(a.app.services.hub.localListeners(userChannel(redisPrefix, carol.id))).toBe(0);
  });

  it('accepts an API key', async () => {
    const dave = await createUser(b.app, { name: 'Dave' });
    const { key } = await createApiKey(b.app, dave, 'events');
    const stream = await SseReader.open(`${b.http}/api/v1/events`, { 'x-api-key': key });
    expect(stream.response.statusCode).toBe(200);
    await eventually(async () => (await subscribers(userChannel(redisPrefix, dave.id))) === 1, 'stream subscribed');
    await publishNotification(publisher, redisPrefix, dave.id, {
      type: 'job.completed',
      jobId: 'j4',
      queue: 'reports',
    });
    await stream.waitFor((e) => e.event === 'job.completed');
    stream.close();
  });
});

describe('notifications from a real job', () => {
  // A prefix of their own (under the run's): no other test file's worker can take these jobs.
  const jobsPrefix = `${redisPrefix}rt-${randomBytes(3).toString('hex')}:`;
  let jobsApp: Instance;
  let workers: WorkerSet;
  let queue: Queue<OwnedJobData & { fail?: boolean }>;
  let connection: Redis;

  beforeAll(async () => {
    jobsApp = await startInstance({ env: { REDIS_PREFIX: jobsPrefix } });
    const config = testConfig({ REDIS_PREFIX: jobsPrefix, JOB_ATTEMPTS: '1' });
    const report = async (job: Job) => {
      if ((job.data as { fail?: boolean }).fail) throw new UnrecoverableError('the report exploded');
      await job.updateProgress(50);
      return { rows: 3 };
    };
    const processors: Processors = { reports: report };
    const quiet = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };
    workers = await startWorkers({ config, processors, log: quiet });
    connection = new Redis(inject('redisUrl'), { maxRetriesPerRequest: null });
    queue = new Queue('reports', { connection, prefix: bullPrefix(config) });
  });

  afterAll(async () => {
    await queue?.close();
    await workers?.close();
    await connection?.quit();
    await jobsApp?.app.close();
  });

  it('reports progress and completion over WebSocket and SSE, and failure', async () => {
    const owner = await createUser(jobsApp.app, { name: 'Owner' });
    const socket = await connect(wsUrl(jobsApp, owner));
    const stream = await SseReader.open(`${jobsApp.http}/api/v1/events`, owner.headers);
    await eventually(
      async () => (await subscribers(userChannel(jobsPrefix, owner.id))) === 1,
      'one instance subscribed',
    );
    await eventually(
      () => jobsApp.app.services.hub.localListeners(userChannel(jobsPrefix, owner.id)) === 2,
      'socket and stream listening',
    );

    const job = await queue.add('monthly', { ownerId: owner.id });
    const completed = await socket.waitFor(
      (m: NotificationFrame) => m.type === 'job.completed' && m.jobId === job.id,
      'job.completed',
    );
    expect(completed).toEqual({ type: 'job.completed', jobId: job.id, queue: 'reports', result: { rows: 3 } });
    expect(await socket.waitFor((m: NotificationFrame) => m.type === 'job.progress')).toEqual({
      type: 'job.progress',
      jobId: job.id,
      queue: 'reports',
      progress: 50,
    });
    const sseCompleted = await stream.waitFor((e) => e.event === 'job.completed');
    expect(JSON.parse(sseCompleted.data ?? '')).toMatchObject({ jobId: job.id, result: { rows: 3 } });
    await stream.waitFor((e) => e.event === 'job.progress');

    const failing = await queue.add('broken', { ownerId: owner.id, fail: true });
    const failed = await socket.waitFor((m: NotificationFrame) => m.type === 'job.failed', 'job.failed');
    expect(failed).toEqual({ type: 'job.failed', jobId: failing.id, queue: 'reports', error: 'the report exploded' });
    await stream.waitFor((e) => e.event === 'job.failed');

    await socket.close();
    stream.close();
  });
});

describe('notifications from a job requested through the API', () => {
  // Two api instances and the real worker runtime on a prefix of their own: the report job is
  // requested on one instance, run by the worker, and its events reach the owner on both.
  const jobsPrefix = `${redisPrefix}rt-api-${randomBytes(3).toString('hex')}:`;
  let first: Instance;
  let second: Instance;
  let worker: WorkerRuntime;

  beforeAll(async () => {
    [first, second] = await Promise.all([
      startInstance({ env: { REDIS_PREFIX: jobsPrefix } }),
      startInstance({ env: { REDIS_PREFIX: jobsPrefix } }),
    ]);
    worker = await startWorkerRuntime(testConfig({ REDIS_PREFIX: jobsPrefix }), { queues: ['reports'] });
  });

  afterAll(async () => {
    await worker?.close();
    await Promise.all([first?.app.close(), second?.app.close()]);
  });

  it('delivers the report job events over WebSocket on one instance and SSE on the other', async () => {
    const admin = await createAdmin(first.app, { name: 'Reporter' });
    const socket = await connect(wsUrl(second, admin));
    const stream = await SseReader.open(`${first.http}/api/v1/events`, admin.headers);
    await eventually(
      async () => (await subscribers(userChannel(jobsPrefix, admin.id))) === 2,
      'both instances subscribed',
    );

    const requested = await first.app.inject({ method: 'POST', url: '/api/v1/reports/items', headers: admin.headers });
    expect(requested.statusCode).toBe(202);
    const { jobId } = requested.json<{ jobId: string }>();

    const completed = await socket.waitFor(
      (m: NotificationFrame) => m.type === 'job.completed' && m.jobId === jobId,
      'job.completed over WebSocket',
    );
    expect(completed).toMatchObject({
      type: 'job.completed',
      jobId,
      queue: 'reports',
      result: { fileId: expect.anything() },
    });
    const event = await stream.waitFor((e) => e.event === 'job.completed', 'job.completed over SSE');
    expect(JSON.parse(event.data ?? '')).toEqual(completed);
    await socket.close();
    stream.close();
  });
});
