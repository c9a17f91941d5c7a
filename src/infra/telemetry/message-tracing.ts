// The `messages` hook (see hooks.ts): a trace carried through Redis pub/sub. Redis messages
// have no headers, so the W3C `traceparent` travels inside the message; only `traceparent`,
// not `tracestate`, whose vendor entries have no business in a payload a browser receives.
// Loaded by sdk.ts, that is only when tracing is on.
import {
  context,
  defaultTextMapGetter,
  defaultTextMapSetter,
  ROOT_CONTEXT,
  SpanKind,
  trace,
  type Context,
} from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import type { MessageTracing } from './hooks.js';

const w3c = new W3CTraceContextPropagator();

/** A version-00 traceparent has 55 characters; later versions may append fields, not kilobytes. */
const MAX_TRACEPARENT_LENGTH = 256;

/** The `traceparent` of the span active in `from`; undefined when there is none. */
export function traceparentOf(from: Context): string | undefined {
  const carrier: Record<string, string> = {};
  w3c.inject(from, carrier, defaultTextMapSetter);
  return carrier.traceparent;
}

/**
 * The parent a message's `traceparent` names. Our own Redis is trusted, but a malformed value
 * (a bug, another producer on the channel) must cost the delivery nothing: it gets no parent.
 * The base is the root context, never the active one: a message is not part of whatever
 * happens to be active when Redis delivers it.
 */
export function parentContext(traceparent: unknown): Context {
  if (typeof traceparent !== 'string' || traceparent.length > MAX_TRACEPARENT_LENGTH) return ROOT_CONTEXT;
  return w3c.extract(ROOT_CONTEXT, { traceparent }, defaultTextMapGetter);
}

export function createMessageTracing(tracerName: string): MessageTracing {
  const tracer = trace.getTracer(tracerName);
  return {
    traceparent: () => traceparentOf(context.active()),
    consume: (name, traceparent, deliver) =>
      tracer.startActiveSpan(name, { kind: SpanKind.CONSUMER }, parentContext(traceparent), (span) => {
        try {
          deliver((attributes) => span.setAttributes(attributes));
        } finally {
          span.end();
        }
      }),
  };
}
