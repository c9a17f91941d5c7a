// The pieces of src/infra/telemetry on their own: which addresses may hand us a trace context,
// what the exporter wrapper removes from spans, which root spans the sampler drops, when the
// preload turns tracing on, and the traceparent a pub/sub message carries.
import { ROOT_CONTEXT, SpanKind, trace, TraceFlags, defaultTextMapGetter } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import {
  AlwaysOnSampler,
  ParentBasedSampler,
  SamplingDecision,
  TraceIdRatioBasedSampler,
  type Sampler,
} from '@opentelemetry/sdk-trace';
import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { tracingEnabled } from '../../../src/infra/telemetry/enabled.js';
import { parentContext, traceparentOf } from '../../../src/infra/telemetry/message-tracing.js';
import { REDACTED, sanitizeAttributes } from '../../../src/infra/telemetry/redacting-exporter.js';
import { RequestRootedSampler, samplerFromEnv } from '../../../src/infra/telemetry/sampler.js';
import { TrustedPropagation, trustedAddresses } from '../../../src/infra/telemetry/trusted-propagation.js';

const TRACEPARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

function request(remoteAddress: string): IncomingMessage {
  return { socket: { remoteAddress }, headers: { traceparent: TRACEPARENT } } as unknown as IncomingMessage;
}

describe('trusted addresses (TRUST_PROXY)', () => {
  it.each([
    ['10.0.0.0/8', '10.1.2.3', true],
    ['10.0.0.0/8', '::ffff:10.1.2.3', true],
    ['10.0.0.0/8', '11.0.0.1', false],
    ['127.0.0.1', '127.0.0.1', true],
    ['loopback', '::1', true],
    ['uniquelocal', '192.168.1.9', true],
    ['', '127.0.0.1', false],
    ['not-an-address', '127.0.0.1', false],
  ])('TRUST_PROXY=%s, peer %s: %s', (list, address, expected) => {
    expect(trustedAddresses(list)(address)).toBe(expected);
  });

  it('extracts the traceparent of a trusted peer and ignores an untrusted one', () => {
    const trust = new TrustedPropagation('10.0.0.0/8');
    const propagator = trust.propagator(new W3CTraceContextPropagator());
    const trusted = request('10.0.0.7');
    const untrusted = request('203.0.113.9');
    trust.screen(trusted);
    trust.screen(untrusted);
    const traceOf = (req: IncomingMessage) =>
      trace.getSpanContext(propagator.extract(ROOT_CONTEXT, req.headers, defaultTextMapGetter))?.traceId;
    expect(traceOf(trusted)).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    expect(traceOf(untrusted)).toBeUndefined();
    // Injection is the inner propagator's.
    const carrier: Record<string, string> = {};
    propagator.inject(propagator.extract(ROOT_CONTEXT, trusted.headers, defaultTextMapGetter), carrier, {
      set: (c, k, v) => ((c as Record<string, string>)[k] = v),
    });
    expect(carrier.traceparent).toBe(TRACEPARENT);
  });
});

describe('span redaction', () => {
  it('replaces secret-named attributes and secret query values, and drops connection credentials', () => {
    const clean = sanitizeAttributes({
      'http.request.header.authorization': 'Bearer abc',
      'http.request.header.cookie': 'refresh_token=abc',
      'http.request.header.x-api-key': 'key-abc',
      'user.password': 'hunter2',
      'url.full': 'http://api/ws?ticket=t-123&room=1',
      'url.query': 'token=abc&limit=5',
      'url.path': '/reset?%74oken=abc',
      'db.connection_string': 'postgresql://app:s3cret@db:5432/app',
      'http.route': '/api/v1/items/:id',
      'http.response.status_code': 200,
      list: ['https://x?key=1', 2] as unknown as string[],
    });
    expect(clean).toMatchObject({
      'http.request.header.authorization': REDACTED,
      'http.request.header.cookie': REDACTED,
      'http.request.header.x-api-key': REDACTED,
      'user.password': REDACTED,
      'url.full': 'http://api/ws?ticket=[redacted]&room=1',
      'url.query': 'token=[redacted]&limit=5',
      'url.path': '/reset?%74oken=[redacted]',
      'db.connection_string': `postgresql://${REDACTED}@db:5432/app`,
      'http.route': '/api/v1/items/:id',
      'http.response.status_code': 200,
    });
    expect(JSON.stringify(clean)).not.toMatch(/abc|hunter2|s3cret|t-123/);
  });
});

describe('sampler', () => {
  const sampleRoot = (kind: SpanKind) =>
    new RequestRootedSampler(new AlwaysOnSampler()).shouldSample(ROOT_CONTEXT, 'a'.repeat(32), 'x', kind, {}, [])
      .decision;

  it('records root spans of requests and jobs, not background chatter', () => {
    expect(sampleRoot(SpanKind.SERVER)).toBe(SamplingDecision.RECORD_AND_SAMPLED);
    expect(sampleRoot(SpanKind.CONSUMER)).toBe(SamplingDecision.RECORD_AND_SAMPLED);
    expect(sampleRoot(SpanKind.INTERNAL)).toBe(SamplingDecision.NOT_RECORD);
    expect(sampleRoot(SpanKind.CLIENT)).toBe(SamplingDecision.NOT_RECORD);
    const parent = trace.setSpanContext(ROOT_CONTEXT, {
      traceId: 'b'.repeat(32),
      spanId: 'c'.repeat(16),
      traceFlags: TraceFlags.SAMPLED,
    });
    const child = new RequestRootedSampler(new AlwaysOnSampler()).shouldSample(
      parent,
      'b'.repeat(32),
      'q',
      SpanKind.CLIENT,
      {},
      [],
    );
    expect(child.decision).toBe(SamplingDecision.RECORD_AND_SAMPLED);
  });

  it('decides an incoming request once, before its server span, following a trusted parent', () => {
    const sampledParent = trace.setSpanContext(ROOT_CONTEXT, {
      traceId: 'b'.repeat(32),
      spanId: 'c'.repeat(16),
      traceFlags: TraceFlags.SAMPLED,
      isRemote: true,
    });
    const never = new RequestRootedSampler(new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(0) }));
    expect(never.admitRequest(ROOT_CONTEXT)).toBe(false);
    expect(never.admitRequest(sampledParent)).toBe(true);

    // The server span started right after an admitted request takes that answer: no second draw.
    let draws = 0;
    const counting: Sampler = {
      shouldSample: () => (draws++, { decision: SamplingDecision.RECORD_AND_SAMPLED }),
      toString: () => 'counting',
    };
    const sampler = new RequestRootedSampler(counting);
    expect(sampler.admitRequest(ROOT_CONTEXT)).toBe(true);
    const server = sampler.shouldSample(ROOT_CONTEXT, 'a'.repeat(32), 'GET', SpanKind.SERVER, {}, []);
    expect(server.decision).toBe(SamplingDecision.RECORD_AND_SAMPLED);
    expect(draws).toBe(1);
  });

  it('reads OTEL_TRACES_SAMPLER and its argument', () => {
    expect(samplerFromEnv({}).toString()).toMatch(/ParentBased\{root=AlwaysOnSampler/);
    expect(
      samplerFromEnv({ OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.1' }).toString(),
    ).toMatch(/TraceIdRatioBased\{0\.1\}/);
    expect(samplerFromEnv({ OTEL_TRACES_SAMPLER: 'always_off' }).toString()).toBe('AlwaysOffSampler');
  });
});

describe('tracingEnabled', () => {
  it.each([
    [{}, false],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: '' }, false],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }, true],
    [{ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://collector:4318/v1/traces' }, true],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_SDK_DISABLED: 'true' }, false],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_TRACES_EXPORTER: 'none' }, false],
  ])('%j -> %s', (env, expected) => {
    expect(tracingEnabled(env)).toBe(expected);
  });
});

describe('trace context in a message', () => {
  it('writes the active span as a traceparent and reads it back as a remote parent', () => {
    const active = trace.setSpanContext(ROOT_CONTEXT, {
      traceId: 'b'.repeat(32),
      spanId: 'c'.repeat(16),
      traceFlags: TraceFlags.SAMPLED,
    });
    const traceparent = traceparentOf(active);
    expect(traceparent).toBe(`00-${'b'.repeat(32)}-${'c'.repeat(16)}-01`);
    expect(trace.getSpanContext(parentContext(traceparent))).toMatchObject({ spanId: 'c'.repeat(16), isRemote: true });
    expect(traceparentOf(ROOT_CONTEXT)).toBeUndefined();
  });

  it.each([
    undefined,
    42,
    {},
    '',
    'garbage',
    '00-not-a-trace-01',
    `00-${'0'.repeat(32)}-${'c'.repeat(16)}-01`,
    TRACEPARENT + ' '.repeat(300),
  ])('gives no parent for %j', (traceparent) => {
    expect(parentContext(traceparent)).toBe(ROOT_CONTEXT);
  });
});
