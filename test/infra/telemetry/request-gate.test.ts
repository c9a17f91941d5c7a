// The request gate with the real @fastify/otel on a real Fastify instance, spans kept in memory:
// which requests get a server span, under which parent, by which name. Roots are never sampled
// here (ratio 0), so a span appears only when a trusted caller's sampled traceparent asks for it.
import { context, propagation } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import {
  InMemorySpanExporter,
  ParentBasedSampler,
  SimpleSpanProcessor,
  TraceIdRatioBasedSampler,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { RequestGate } from '../../../src/infra/telemetry/request-gate.js';
import { RequestRootedSampler } from '../../../src/infra/telemetry/sampler.js';
import { TrustedPropagation } from '../../../src/infra/telemetry/trusted-propagation.js';

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT_ID = '00f067aa0ba902b7';
const sampledParent = { traceparent: `00-${TRACE_ID}-${PARENT_ID}-01` };
const SERVER = 1; // SpanKind.SERVER

const exporter = new InMemorySpanExporter();
const sampler = new RequestRootedSampler(new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(0) }));
const processor = new SimpleSpanProcessor({ exporter });
const provider = new TracerProvider({ sampler, spanProcessors: [processor] });
let app: FastifyInstance;

beforeAll(async () => {
  const trust = new TrustedPropagation('127.0.0.1');
  const propagator = trust.propagator(new W3CTraceContextPropagator());
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(propagator);
  const instrumentation = new RequestGate(sampler, trust, propagator).instrumentFastify({ instrumentHandler: false });
  instrumentation.setTracerProvider(provider);
  app = Fastify();
  app.get('/items/:id', async () => ({ ok: true }));
  app.get('/health/ready', async () => ({ status: 'ok' }));
  await app.ready();
});
afterAll(async () => {
  await app.close();
  await provider.shutdown();
});
beforeEach(() => exporter.reset());

/** The spans ended so far (the span processor hands them over asynchronously). */
async function finished() {
  await processor.forceFlush();
  return exporter.getFinishedSpans();
}

describe('the request gate', () => {
  it('traces a request a trusted caller sampled: one server span under its parent, named by route template', async () => {
    const response = await app.inject({ url: '/items/42?token=secret-in-query', headers: sampledParent });
    expect(response.statusCode).toBe(200);
    const [span, ...others] = await finished();
    expect(others).toEqual([]);
    expect(span).toMatchObject({ name: 'GET /items/:id', kind: SERVER });
    expect(span!.spanContext().traceId).toBe(TRACE_ID);
    expect(span!.parentSpanContext?.spanId).toBe(PARENT_ID);
    expect(span!.attributes).toMatchObject({
      'http.route': '/items/:id',
      'url.path': '/items/42',
      'http.response.status_code': 200,
      'client.address': '127.0.0.1',
      'url.scheme': 'http',
    });
    expect(JSON.stringify(span!.attributes)).not.toContain('secret-in-query');
  });

  it('names a request that matched no route by its method alone', async () => {
    expect((await app.inject({ url: '/nowhere/42', headers: sampledParent })).statusCode).toBe(404);
    expect((await finished()).map((span) => span.name)).toEqual(['GET']);
  });

  it('does not trace a request the sampler turns down, nor probes', async () => {
    // No parent: a root, at ratio 0.
    expect((await app.inject({ url: '/items/1' })).statusCode).toBe(200);
    // A sampled parent, but on a probe path.
    expect((await app.inject({ url: '/health/ready', headers: sampledParent })).statusCode).toBe(200);
    expect(await finished()).toEqual([]);
  });

  it('ignores the traceparent of a caller outside TRUST_PROXY: the request is a root, here unsampled', async () => {
    const foreign = await app.inject({ url: '/items/1', headers: sampledParent, remoteAddress: '203.0.113.9' });
    expect(foreign.statusCode).toBe(200);
    expect(await finished()).toEqual([]);
    // The same header from the trusted address is honoured.
    await app.inject({ url: '/items/1', headers: sampledParent });
    expect((await finished()).map((span) => span.spanContext().traceId)).toEqual([TRACE_ID]);
  });
});
