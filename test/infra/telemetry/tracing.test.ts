// Tracing end to end, with the real preload in real processes: the api (`src/server.ts`) and the
// worker (`src/worker.ts`) export OTLP/JSON to an in-test receiver. One import request is one
// trace from the HTTP request through its SQL and Redis calls, the enqueue, the worker's job (a
// child of the enqueue), and the api delivering the job's notification to the user's WebSocket
// and SSE connections (a child of the job); server spans carry the route template; no
// credential reaches any span; an incoming traceparent from an address outside TRUST_PROXY
// starts a new trace; a malformed traceparent in a notification only costs it its parent.
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import type { App } from '../../../src/compose/api.js';
import { userChannel } from '../../../src/infra/realtime/notifications.js';
import { GLOBAL_SYNC_MS } from '../../../src/plugins/rate-limit.js';
import { buildTestApp, testEnv } from '../../helpers/app.js';
import { ChildProcessHandle } from '../../helpers/child-process.js';
import { createUser, type TestUser } from '../../helpers/factories/users.js';
import { OtlpSink, type ReceivedSpan } from '../../helpers/otlp-sink.js';
import { connect, SseReader, type Client } from '../../modules/realtime/realtime-clients.js';

const PRELOAD = './src/infra/telemetry/preload.ts';
const SPAN_KIND = { SERVER: 2, CLIENT: 3, PRODUCER: 4, CONSUMER: 5 } as const;

const sink = new OtlpSink();
let app: App;
let api: ChildProcessHandle | undefined;
let worker: ChildProcessHandle | undefined;
let baseUrl: string;
let user: TestUser;
let publisher: Redis;
const redisPrefix = `${inject('redisPrefix')}tracing:`;

beforeAll(async () => {
  await sink.start();
  // Jobs of this file only: the api and the worker share a prefix no other test file uses.
  const shared = { REDIS_PREFIX: redisPrefix };
  const tracing = {
    OTEL_EXPORTER_OTLP_ENDPOINT: sink.url,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    OTEL_BSP_SCHEDULE_DELAY: '50',
    LOG_LEVEL: 'info',
    // Not the test's address: a traceparent from 127.0.0.1 must be ignored.
    TRUST_PROXY: '10.1.2.3',
  };
  app = await buildTestApp({ env: shared });
  api = ChildProcessHandle.spawnTs('src/server.ts', testEnv({ ...shared, ...tracing, HOST: '127.0.0.1', PORT: '0' }), [
    PRELOAD,
  ]);
  worker = ChildProcessHandle.spawnTs('src/worker.ts', testEnv({ ...shared, ...tracing, WORKER_QUEUES: 'imports' }), [
    PRELOAD,
  ]);
  await Promise.all([api.waitForOutput(/api ready: http/, 90_000), worker.waitForOutput('worker started', 90_000)]);
  baseUrl = /api ready: (http:\/\/[^\s)]+)/.exec(api.output)![1]!;
  user = await createUser(app);
  publisher = new Redis(inject('redisUrl'));
}, 120_000);

afterAll(async () => {
  await publisher?.quit();
  await Promise.all([api?.kill('SIGKILL'), worker?.kill('SIGKILL')]);
  await app?.close();
  await sink.stop();
});

async function spansOf(traceId: string, expectMore: (spans: ReceivedSpan[]) => void): Promise<ReceivedSpan[]> {
  await vi.waitFor(() => expectMore(sink.trace(traceId)), { timeout: 15_000, interval: 50 });
  return sink.trace(traceId);
}

function serverSpan(name: string): ReceivedSpan | undefined {
  return sink.spans.find((span) => span.kind === SPAN_KIND.SERVER && span.name === name);
}

/** A span's start or end time, in nanoseconds since the epoch (OTLP/JSON sends them as strings). */
function nanos(span: ReceivedSpan, edge: 'start' | 'end'): bigint {
  const raw = span.raw as { startTimeUnixNano: string | number; endTimeUnixNano: string | number };
  return BigInt(edge === 'start' ? raw.startTimeUnixNano : raw.endTimeUnixNano);
}

const isDelivery = (span: ReceivedSpan) => span.kind === SPAN_KIND.CONSUMER && span.name === 'notification deliver';

/** The user's notification feeds on the api: one WebSocket and one SSE stream, both subscribed. */
async function openFeeds(): Promise<{ socket: Client; stream: SseReader; close: () => Promise<void> }> {
  const socket = await connect(`${baseUrl.replace(/^http/, 'ws')}/ws/notifications`, {
    authorization: `Bearer ${user.accessToken}`,
  });
  // The stream answers once its subscription is live; the socket's, opened before, is too.
  const stream = await SseReader.open(`${baseUrl}/api/v1/events`, { authorization: `Bearer ${user.accessToken}` });
  expect(stream.response.statusCode).toBe(200);
  return {
    socket,
    stream,
    close: async () => {
      stream.close();
      await socket.close();
    },
  };
}

/** Whether `span` descends from `ancestor` within the spans of its trace. */
function descendsFrom(span: ReceivedSpan, ancestor: ReceivedSpan, spans: ReceivedSpan[]): boolean {
  const byId = new Map(spans.map((s) => [s.spanId, s]));
  for (let current: ReceivedSpan | undefined = span; current; current = byId.get(current.parentSpanId))
    if (current.parentSpanId === ancestor.spanId) return true;
  return false;
}

// Two real processes and a job: more than the default 20 s when the whole suite loads the machine.
describe('tracing (OTEL_EXPORTER_OTLP_ENDPOINT set)', { timeout: 60_000 }, () => {
  it('shows an import as one trace: request, SQL, Redis, enqueue, the job in the worker, and its notification delivered', async () => {
    const feeds = await openFeeds();
    const form = new FormData();
    form.append('file', new Blob(['name,price\nTraced lamp,12.50\n'], { type: 'text/csv' }), 'items.csv');
    const response = await fetch(`${baseUrl}/api/v1/items/import`, {
      method: 'POST',
      headers: user.headers,
      body: form,
    });
    expect(response.status).toBe(202);
    const { jobId } = (await response.json()) as { jobId: string };

    await vi.waitFor(
      async () => {
        const job = await fetch(`${baseUrl}/api/v1/jobs/${jobId}`, { headers: user.headers });
        expect(await job.json()).toMatchObject({ state: 'completed' });
      },
      { timeout: 20_000, interval: 100 },
    );
    const completed = await feeds.socket.waitFor<{ type: string; jobId: string; traceparent?: string }>(
      (m) => m.type === 'job.completed' && m.jobId === jobId,
      'job.completed over WebSocket',
    );
    await feeds.stream.waitFor((event) => event.event === 'job.completed', 'job.completed over SSE');
    await feeds.close();

    await vi.waitFor(() => expect(serverSpan('POST /api/v1/items/import')).toBeDefined(), { timeout: 15_000 });
    const request = serverSpan('POST /api/v1/items/import')!;
    expect(request.service).toBe('fastify-template-api');
    const spans = await spansOf(request.traceId, (all) => {
      expect(all.some((span) => span.kind === SPAN_KIND.CONSUMER && span.service === 'fastify-template-worker')).toBe(
        true,
      );
      expect(all.some((span) => isDelivery(span) && span.attributes['notification.type'] === 'job.completed')).toBe(
        true,
      );
    });

    const enqueue = spans.find((span) => span.kind === SPAN_KIND.PRODUCER && span.name.includes('imports'));
    expect(enqueue, 'the enqueue span').toBeDefined();
    expect(enqueue!.service).toBe('fastify-template-api');
    expect(descendsFrom(enqueue!, request, spans)).toBe(true);

    // The job's span is a child of the enqueue (not only a link), in the worker's service.
    const job = spans.find((span) => span.kind === SPAN_KIND.CONSUMER && span.name.includes('imports'))!;
    expect(job.service).toBe('fastify-template-worker');
    expect(descendsFrom(job, enqueue!, spans)).toBe(true);

    // The request's own SQL (the file row, the user) and Redis calls; the job's SQL (the insert).
    const isClientOf = (system: string) => (span: ReceivedSpan) =>
      span.kind === SPAN_KIND.CLIENT && (span.attributes['db.system.name'] ?? span.attributes['db.system']) === system;
    const sql = (service: string) => spans.filter(isClientOf('postgresql')).filter((span) => span.service === service);
    expect(sql('fastify-template-api').length).toBeGreaterThan(0);
    expect(sql('fastify-template-worker').length).toBeGreaterThan(0);
    expect(sql('fastify-template-worker').some((span) => descendsFrom(span, job, spans))).toBe(true);
    const redis = spans.filter(isClientOf('redis'));
    expect(redis.some((span) => span.service === 'fastify-template-api')).toBe(true);
    // The job's outcome goes back to its owner (WebSocket/SSE) through Redis pub/sub: the
    // worker's PUBLISH is part of the trace too.
    expect(
      redis.some((span) => span.service === 'fastify-template-worker' && /publish/i.test(span.name)),
      redis.map((span) => `${span.service} ${span.name}`).join(', '),
    ).toBe(true);

    // The trace ends at the user: the api that holds the user's connections delivers the job's
    // notification in a CONSUMER span, a child of the job (its context travelled in the message).
    const delivery = spans.find(
      (span) => isDelivery(span) && span.attributes['notification.type'] === 'job.completed',
    )!;
    expect(delivery.service).toBe('fastify-template-api');
    expect(descendsFrom(delivery, job, spans)).toBe(true);
    expect(delivery.attributes).toMatchObject({
      'notification.connections.websocket': 1,
      'notification.connections.sse': 1,
    });
    expect(completed.traceparent).toMatch(new RegExp(`^00-${request.traceId}-[0-9a-f]{16}-01$`));

    // The api's access-log line of the request and the worker's log line of that job carry the
    // trace id (next to the request id, the job id).
    const sameLine = (a: string, b: string) => new RegExp(`${a}[^\\n]*${b}|${b}[^\\n]*${a}`);
    await api!.waitForOutput(sameLine(`"trace_id":"${request.traceId}"`, '"msg":"request completed"'));
    await worker!.waitForOutput(new RegExp(`"trace_id":"${request.traceId}"`));
  });

  it('names server spans by route template, never by the raw URL', async () => {
    const response = await fetch(`${baseUrl}/api/v1/items/987654321`, { headers: user.headers });
    expect(response.status).toBe(404);
    await vi.waitFor(() => expect(serverSpan('GET /api/v1/items/:id')).toBeDefined(), { timeout: 15_000 });
    expect(sink.spans.some((span) => span.name.includes('987654321'))).toBe(false);
  });

  it('keeps work no request waits for out of its trace: every span starts before the server span ends', async () => {
    // Far from the limit a hit is counted by the api itself and sent to Redis up to
    // GLOBAL_SYNC_MS after the response (src/infra/redis/rate-limit-store.ts). That command's
    // span used to join the trace of whichever request had scheduled the sync.
    const known = new Set(sink.spans.map((span) => span.spanId));
    const isNew = (span: ReceivedSpan) => !known.has(span.spanId);
    const syncsDone = () => new Promise((resolve) => setTimeout(resolve, GLOBAL_SYNC_MS * 3));
    await syncsDone(); // the sync an earlier test's request scheduled: the next is one of these
    for (let i = 0; i < 3; i++)
      expect((await fetch(`${baseUrl}/api/v1/users/me`, { headers: user.headers })).status).toBe(200);
    await syncsDone();
    // The batch processor exports spans in the order they end: once this last request's span is
    // in, any span the sync made is in too.
    expect((await fetch(`${baseUrl}/api/v1/items/987654322`, { headers: user.headers })).status).toBe(404);
    await vi.waitFor(
      () => expect(sink.spans.some((span) => isNew(span) && span.name === 'GET /api/v1/items/:id')).toBe(true),
      {
        timeout: 15_000,
      },
    );
    const servers = sink.spans.filter(
      (span) => isNew(span) && span.kind === SPAN_KIND.SERVER && span.name === 'GET /api/v1/users/me',
    );
    expect(servers).toHaveLength(3);
    for (const server of servers)
      for (const span of sink.trace(server.traceId))
        expect(nanos(span, 'start')).toBeLessThanOrEqual(nanos(server, 'end'));
  });

  it('puts no token, password, cookie or API key in any span', async () => {
    const secrets = {
      queryToken: 'query-token-7f3a9c',
      cookie: 'cookie-secret-51b2',
      apiKey: 'api-key-secret-c0ffee',
      password: `pw-secret-${Date.now()}`,
    };
    await fetch(`${baseUrl}/api/v1/items?token=${secrets.queryToken}&limit=1`, {
      headers: { ...user.headers, cookie: `refresh_token=${secrets.cookie}` },
    });
    await fetch(`${baseUrl}/api/v1/items?limit=1`, { headers: { 'x-api-key': secrets.apiKey } });
    // A notification delivered to a socket opened with `?token=`: its delivery span is scanned too.
    const socket = await connect(`${baseUrl.replace(/^http/, 'ws')}/ws/notifications?token=${user.accessToken}`);
    const deliveries = sink.spans.filter(isDelivery).length;
    await vi.waitFor(
      async () => {
        await publisher.publish(
          userChannel(redisPrefix, user.id),
          JSON.stringify({ type: 'job.progress', jobId: 'secrets', queue: 'imports', progress: 1 }),
        );
        expect(socket.messages.length).toBeGreaterThan(0);
      },
      { timeout: 5_000, interval: 200 },
    );
    await socket.close();
    await fetch(`${baseUrl}/api/v1/auth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'password', username: user.email, password: secrets.password }),
    });
    await vi.waitFor(() => expect(serverSpan('POST /api/v1/auth/token')).toBeDefined(), { timeout: 15_000 });
    await vi.waitFor(() => expect(sink.spans.filter(isDelivery).length).toBeGreaterThan(deliveries), {
      timeout: 15_000,
    });
    await vi.waitFor(
      () =>
        expect(
          sink.spans.filter((span) => span.kind === SPAN_KIND.SERVER && span.name === 'GET /api/v1/items'),
        ).toHaveLength(2),
      { timeout: 15_000 },
    );

    const exported = JSON.stringify(sink.spans.map((span) => span.raw));
    for (const secret of [...Object.values(secrets), user.accessToken, user.refreshToken, user.password])
      expect(exported).not.toContain(secret);
    // The database URL's credentials (postgres:postgres@ in tests) neither.
    expect(exported).not.toMatch(/postgres(ql)?:\/\/[^"]*:[^"]*@/);
    expect(exported).not.toMatch(/"key":"[^"]*(authorization|cookie)[^"]*"/i);
  });

  it('ignores a traceparent from an address outside TRUST_PROXY', async () => {
    const foreignTrace = '4bf92f3577b34da6a3ce929d0e0e4736';
    await fetch(`${baseUrl}/api/v1/items?limit=2`, {
      headers: { ...user.headers, traceparent: `00-${foreignTrace}-00f067aa0ba902b7-01` },
    });
    await vi.waitFor(
      () =>
        expect(
          sink.spans.filter((span) => span.kind === SPAN_KIND.SERVER && span.name === 'GET /api/v1/items').length,
        ).toBeGreaterThanOrEqual(3),
      { timeout: 15_000 },
    );
    expect(sink.spans.some((span) => span.traceId === foreignTrace)).toBe(false);
  });

  it('delivers a notification whose traceparent is malformed, in a span without a parent', async () => {
    const feeds = await openFeeds();
    const foreign = { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331' };
    const traceparents = ['00-not-a-trace-01', 42, 'x'.repeat(10_000), `00-${foreign.traceId}-${foreign.spanId}-01`];
    for (const [index, traceparent] of traceparents.entries())
      await publisher.publish(
        userChannel(redisPrefix, user.id),
        JSON.stringify({ type: 'job.failed', jobId: `malformed-${index}`, queue: 'imports', error: 'x', traceparent }),
      );
    // Every one reaches the user as it was sent.
    for (const index of traceparents.keys()) {
      await feeds.socket.waitFor((m) => m.jobId === `malformed-${index}`, `notification ${index} over WebSocket`);
      await feeds.stream.waitFor((event) => event.data?.includes(`"malformed-${index}"`) ?? false, `event ${index}`);
    }
    await feeds.close();

    const failed = () =>
      sink.spans.filter((span) => isDelivery(span) && span.attributes['notification.type'] === 'job.failed');
    await vi.waitFor(() => expect(failed()).toHaveLength(traceparents.length), { timeout: 15_000 });
    // The three malformed ones start traces of their own; a well-formed one (our Redis is trusted) is a parent.
    const continued = failed().filter((span) => span.traceId === foreign.traceId);
    const started = failed().filter((span) => span.traceId !== foreign.traceId);
    expect(continued.map((span) => span.parentSpanId)).toEqual([foreign.spanId]);
    expect(started.map((span) => span.parentSpanId)).toEqual(['', '', '']);
  });
});

// Sampled once, at the door: an unsampled request leaves no span at all. (@prisma/instrumentation
// did: its engine spans of unsampled requests were exported under a parent that was not.)
describe('tracing at a 50 % ratio', { timeout: 60_000 }, () => {
  const service = 'tracing-test-half';
  let half: ChildProcessHandle | undefined;
  let url: string;
  beforeAll(async () => {
    half = ChildProcessHandle.spawnTs(
      'src/server.ts',
      testEnv({
        REDIS_PREFIX: redisPrefix,
        OTEL_EXPORTER_OTLP_ENDPOINT: sink.url,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        OTEL_BSP_SCHEDULE_DELAY: '50',
        OTEL_SERVICE_NAME: service,
        OTEL_TRACES_SAMPLER: 'traceidratio',
        OTEL_TRACES_SAMPLER_ARG: '0.5',
        LOG_LEVEL: 'info',
        HOST: '127.0.0.1',
        PORT: '0',
      }),
      [PRELOAD],
    );
    await half.waitForOutput(/api ready: http/, 90_000);
    url = /api ready: (http:\/\/[^\s)]+)/.exec(half.output)![1]!;
  }, 120_000);
  afterAll(() => half?.kill('SIGKILL'));

  it('traces about half of the requests, each as one trace under its server span, and the rest not at all', async () => {
    const requests = 40;
    for (let i = 0; i < requests; i++) {
      const response = await fetch(`${url}/api/v1/items/987654321`, { headers: user.headers });
      expect(response.status).toBe(404);
    }
    const servers = () =>
      sink.spans.filter((span) => span.service === service && span.name === 'GET /api/v1/items/:id');
    // 40 draws at 1/2: fewer than 5 or more than 35 sampled has a chance under 1 in 10^5.
    await vi.waitFor(() => expect(servers().length).toBeGreaterThanOrEqual(5), { timeout: 15_000 });
    await new Promise((resolve) => setTimeout(resolve, 500)); // the last batch (BSP delay 50 ms)
    expect(servers().length).toBeLessThanOrEqual(35);
    const traced = new Set(servers().map((span) => span.traceId));
    const spans = sink.spans.filter((span) => span.service === service);
    // Every span belongs to a sampled request's trace, and only its server span is a root.
    for (const span of spans) {
      expect(traced.has(span.traceId), `${span.name} outside a sampled request`).toBe(true);
      if (span.parentSpanId === '' || span.parentSpanId === undefined)
        expect(span.kind, span.name).toBe(SPAN_KIND.SERVER);
    }
    expect(spans.filter((span) => !span.parentSpanId).length).toBe(traced.size);
  });
});
