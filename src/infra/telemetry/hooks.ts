// What the rest of the app asks of tracing, without importing any of it: the preload
// (preload.ts) fills this slot when OTEL_EXPORTER_OTLP_ENDPOINT is set, and every getter here
// answers `undefined` otherwise, so a process without tracing loads no OpenTelemetry module.
import type { Telemetry } from 'bullmq';

/** Span attributes, as the hooks take them (no OpenTelemetry type leaks into the app). */
export type SpanAttributes = Record<string, string | number | boolean>;

/**
 * A trace carried across Redis pub/sub, which has no headers: the publisher puts the W3C
 * `traceparent` of its active span in the message, the receiver continues the trace from it.
 */
export interface MessageTracing {
  /** The active span's `traceparent`; undefined outside a span. */
  traceparent(): string | undefined;
  /**
   * Runs `deliver` (synchronous) inside a new CONSUMER span, a child of `traceparent`, and ends
   * the span. A missing or malformed `traceparent` makes it a root span: never an error.
   */
  consume(
    name: string,
    traceparent: string | undefined,
    deliver: (record: (attributes: SpanAttributes) => void) => void,
  ): void;
}

export interface TelemetryHooks {
  /** BullMQ's own telemetry (bullmq-otel): an enqueue and its job become one trace. */
  bullmq: Telemetry;
  /** Pub/sub messages (job notifications): the api's delivery joins the trace of the job. */
  messages: MessageTracing;
  /** pino mixin: trace_id and span_id of the active span, on every line logged inside one. */
  logMixin: () => Record<string, string>;
  /** Exports the spans still batched and stops the SDK. */
  shutdown: () => Promise<void>;
}

const SLOT = Symbol.for('fastify-template.telemetry');

type Slot = { [SLOT]?: TelemetryHooks };

export function installTelemetryHooks(hooks: TelemetryHooks): void {
  (globalThis as Slot)[SLOT] = hooks;
}

export function telemetryHooks(): TelemetryHooks | undefined {
  return (globalThis as Slot)[SLOT];
}

/** The `telemetry` option of a BullMQ Queue or Worker; undefined (no telemetry) when tracing is off. */
export function queueTelemetry(): Telemetry | undefined {
  return telemetryHooks()?.bullmq;
}

/** Trace context for pub/sub messages; undefined when tracing is off (nothing is added to them). */
export function messageTracing(): MessageTracing | undefined {
  return telemetryHooks()?.messages;
}

/** pino's `mixin` option; undefined when tracing is off, so log lines cost nothing more. */
export function traceLogMixin(): (() => Record<string, string>) | undefined {
  return telemetryHooks()?.logMixin;
}

/** Sends the last batched spans before the process exits; nothing to do when tracing is off. */
export async function flushTelemetry(): Promise<void> {
  await telemetryHooks()
    ?.shutdown()
    .catch(() => {});
}
