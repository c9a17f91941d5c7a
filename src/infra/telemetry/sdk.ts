// The OpenTelemetry SDK of the api and the worker, loaded by preload.ts only when tracing is
// configured. Everything comes from the standard variables: the endpoint, headers and protocol
// of the OTLP exporter (http/protobuf by default, http/json), OTEL_SERVICE_NAME (defaults to
// one name for the api and one for the worker), OTEL_TRACES_SAMPLER(_ARG) and OTEL_BSP_*
// (batching, read by the SDK). Only traces: metrics stay with prom-client at /metrics, logs on
// stdout (with trace_id/span_id, see hooks.ts).
import { register } from 'node:module';
import { basename } from 'node:path';
import { trace, TraceFlags, type TextMapPropagator } from '@opentelemetry/api';
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter as OTLPJsonTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OTLPProtoTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { IORedisInstrumentation } from '@opentelemetry/instrumentation-ioredis';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { envDetector } from '@opentelemetry/resources';
import { NodeSDK } from '@opentelemetry/sdk-node';
import type { SpanExporter } from '@opentelemetry/sdk-trace';
import { BullMQOtel } from 'bullmq-otel';
import { installTelemetryHooks } from './hooks.js';
import { createMessageTracing } from './message-tracing.js';
import { RedactingSpanExporter } from './redacting-exporter.js';
import { RequestGate } from './request-gate.js';
import { RequestRootedSampler, samplerFromEnv } from './sampler.js';
import { TrustedPropagation } from './trusted-propagation.js';

type Env = Record<string, string | undefined>;

/** Default service names: the api and the worker are told apart in every trace view. */
export const DEFAULT_SERVICE_NAMES = { api: 'fastify-template-api', worker: 'fastify-template-worker' } as const;

function processRole(argv: readonly string[]): keyof typeof DEFAULT_SERVICE_NAMES {
  return /^worker\.[cm]?[jt]s$/.test(basename(argv[1] ?? '')) ? 'worker' : 'api';
}

function traceExporter(env: Env): SpanExporter {
  const protocol = (
    env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ||
    env.OTEL_EXPORTER_OTLP_PROTOCOL ||
    'http/protobuf'
  ).trim();
  if (protocol === 'http/json') return new OTLPJsonTraceExporter();
  if (protocol !== 'http/protobuf')
    process.stderr.write(`OTEL_EXPORTER_OTLP_PROTOCOL=${protocol} is not supported here; using http/protobuf\n`);
  return new OTLPProtoTraceExporter();
}

export async function startTracing(env: Env = process.env, argv: readonly string[] = process.argv): Promise<NodeSDK> {
  const role = processRole(argv);
  // The env detector reads it; metrics and logs are not exported over OTLP (prom-client, stdout).
  env.OTEL_SERVICE_NAME ||= DEFAULT_SERVICE_NAMES[role];
  env.OTEL_METRICS_EXPORTER ||= 'none';
  env.OTEL_LOGS_EXPORTER ||= 'none';

  // ioredis is reached only through ESM imports (ours and BullMQ's), which require hooks never
  // see: import-in-the-middle's loader hook lets its instrumentation patch it, and only it
  // (pg is patched through @prisma/adapter-pg's require; every other module loads untouched).
  register('import-in-the-middle/hook.mjs', import.meta.url, { data: { include: ['ioredis'] } });

  const trust = new TrustedPropagation(env.TRUST_PROXY);
  const propagator: TextMapPropagator = trust.propagator(
    new CompositePropagator({ propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()] }),
  );
  const sampler = new RequestRootedSampler(samplerFromEnv(env));
  const gate = new RequestGate(sampler, trust, propagator);
  const sdk = new NodeSDK({
    traceExporter: new RedactingSpanExporter(traceExporter(env)),
    sampler,
    textMapPropagator: propagator,
    // OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES only: no host, os or process detector, whose
    // attributes include the full command line.
    resourceDetectors: [envDetector],
    instrumentations: [
      // Only outgoing calls (SMTP, webhooks), and only inside a request or a job: the server span
      // is @fastify/otel's (request-gate.ts says why).
      new HttpInstrumentation({ disableIncomingRequestInstrumentation: true, requireParentforOutgoingSpans: true }),
      // The server span of each admitted request, named by route template (`GET /api/v1/items/:id`).
      // No span per hook nor for the handler: each costs a span and a context switch per request
      // and shows little the request span does not (tools/bench/results/tracing-cost-2026-12-02.md).
      gate.instrumentFastify({ instrumentHooks: false, instrumentHandler: false }),
      // Every SQL statement, Prisma's (through its pg adapter) and the raw-SQL repositories' alike.
      // Not @prisma/instrumentation on top: its spans repeat these, and it exported spans of
      // unsampled requests (its engine spans under a dropped parent; test "at a 50 % ratio").
      new PgInstrumentation({ requireParentSpan: true }),
      new IORedisInstrumentation({ requireParentSpan: true }),
    ],
  });
  sdk.start();
  installTelemetryHooks({
    bullmq: new BullMQOtel({ tracerName: 'bullmq' }),
    messages: createMessageTracing('realtime'),
    logMixin: (): Record<string, string> => {
      // Only sampled spans: a trace id nobody exported would send the reader nowhere.
      const context = trace.getActiveSpan()?.spanContext();
      return context && context.traceFlags & TraceFlags.SAMPLED
        ? { trace_id: context.traceId, span_id: context.spanId }
        : {}; // a new object: pino merges the line's fields into it
    },
    shutdown: () => sdk.shutdown(),
  });
  // The entry points flush on their way out (flushTelemetry); this covers a natural exit.
  process.once('beforeExit', () => void sdk.shutdown().catch(() => {}));
  return sdk;
}
