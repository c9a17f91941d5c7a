// Tracing end to end, with the real preload in real processes: the api (`src/server.ts`) and the
// worker (`src/worker.ts`) export OTLP/JSON to an in-test receiver. One import request is one
// trace from the HTTP request through its SQL and Redis calls, the enqueue, and the worker's job
// (a child of the enqueue); server spans carry the route template; no credential reaches any
// span; an incoming traceparent from an address outside TRUST_PROXY starts a new trace.
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import type { App } from '../../../src/compose/api.js';
import { buildTestApp, testEnv } from '../../helpers/app.js';
import { ChildProcessHandle } from '../../helpers/child-process.js';
import { createUser, type TestUser } from '../../helpers/factories/users.js';
import { OtlpSink, type ReceivedSpan } from '../../helpers/otlp-sink.js';

const PRELOAD = './src/infra/telemetry/preload.ts';
const SPAN_KIND = { SERVER: 2, CLIENT: 3, PRODUCER: 4, CONSUMER: 5 } as const;

const sink = new OtlpSink();
let app: App;
let api: ChildProcessHandle | undefined;
let worker: ChildProcessHandle | undefined;
let baseUrl: string;
let user: TestUser;

beforeAll(async () => {
  await sink.start();
  // Jobs of this file only: the api and the worker share a prefix no other test file uses.
  const shared = { REDIS_PREFIX: `${inject('redisPrefix')}tracing:` };
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
}, 120_000);

afterAll(async () => {
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

/** Whether `span` descends from `ancestor` within the spans of its trace. */
function descendsFrom(span: ReceivedSpan, ancestor: ReceivedSpan, spans: ReceivedSpan[]): boolean {
  const byId = new Map(spans.map((s) => [s.spanId, s]));
  for (let current: ReceivedSpan | undefined = span; current; current = byId.get(current.parentSpanId))
    if (current.parentSpanId === ancestor.spanId) return true;
  return false;
}

// Two real processes and a job: more than the default 20 s when the whole suite loads the machine.
describe('tracing (OTEL_EXPORTER_OTLP_ENDPOINT set)', { timeout: 60_000 }, () => {
  it('shows an import as one trace: request, SQL, Redis, enqueue, and the job in the worker', async () => {
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

    await vi.waitFor(() => expect(serverSpan('POST /api/v1/items/import')).toBeDefined(), { timeout: 15_000 });
    const request = serverSpan('POST /api/v1/items/import')!;
    expect(request.service).toBe('fastify-template-api');
    const spans = await spansOf(request.traceId, (all) =>
      expect(all.some((span) => span.kind === SPAN_KIND.CONSUMER && span.service === 'fastify-template-worker')).toBe(
        true,
      ),
    );

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

    // The worker's log line of that job carries the trace id next to the job id.
    await worker!.waitForOutput(new RegExp(`"trace_id":"${request.traceId}"`));
  });

  it('names server spans by route template, never by the raw URL', async () => {
    const response = await fetch(`${baseUrl}/api/v1/items/987654321`, { headers: user.headers });
    expect(response.status).toBe(404);
    await vi.waitFor(() => expect(serverSpan('GET /api/v1/items/:id')).toBeDefined(), { timeout: 15_000 });
    expect(sink.spans.some((span) => span.name.includes('987654321'))).toBe(false);
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
    await fetch(`${baseUrl}/api/v1/auth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'password', username: user.email, password: secrets.password }),
    });
    await vi.waitFor(() => expect(serverSpan('POST /api/v1/auth/token')).toBeDefined(), { timeout: 15_000 });
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
});
