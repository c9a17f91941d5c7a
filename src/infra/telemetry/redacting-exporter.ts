// The last line of defence before a span leaves the process: whatever an instrumentation
// recorded, no credential is exported. Attributes named like a secret (captured headers,
// `*.password`, `*token*`, API keys) are replaced, the value of every secret query parameter in
// a URL (`?token=`, `?ticket=`, the names of src/infra/logging.ts) is cut, and the user:password
// of a connection string is removed, in span names, attributes and events alike.
import type { Attributes, AttributeValue } from '@opentelemetry/api';
import type { ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter, TimedEvent } from '@opentelemetry/sdk-trace';
import { redactUrl } from '../logging.js';

export const REDACTED = '[redacted]';

const SECRET_KEY = /authorization|cookie|password|passwd|secret|token|ticket|api[-_.]?key|credential|session/i;
const USERINFO = /\/\/[^/@\s]+@/g;

function sanitizeString(value: string): string {
  let result = value.includes('@') ? value.replace(USERINFO, `//${REDACTED}@`) : value;
  // A URL, a path with its query, or a bare query string (`url.query`).
  if (result.includes('=')) result = result.includes('?') ? redactUrl(result) : redactUrl(`?${result}`).slice(1);
  return result;
}

function sanitizeValue(value: AttributeValue | undefined): AttributeValue | undefined {
  if (typeof value === 'string') return sanitizeString(value);
  if (Array.isArray(value))
    return value.map((item) => (typeof item === 'string' ? sanitizeString(item) : item)) as AttributeValue;
  return value;
}

export function sanitizeAttributes(attributes: Attributes): Attributes {
  const clean: Attributes = {};
  for (const [key, value] of Object.entries(attributes))
    clean[key] = SECRET_KEY.test(key) ? REDACTED : sanitizeValue(value);
  return clean;
}

/** A view of the span with its name, attributes and events sanitized; everything else is the span's own. */
export function sanitizeSpan(span: ReadableSpan): ReadableSpan {
  const name = sanitizeString(span.name);
  const attributes = sanitizeAttributes(span.attributes);
  const events: TimedEvent[] = span.events.map((event) =>
    event.attributes ? { ...event, attributes: sanitizeAttributes(event.attributes) } : event,
  );
  return new Proxy(span, {
    get(target, property) {
      if (property === 'name') return name;
      if (property === 'attributes') return attributes;
      if (property === 'events') return events;
      // Methods run on the span itself (it may keep private fields a proxy cannot reach).
      const value = Reflect.get(target, property, target) as unknown;
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

export class RedactingSpanExporter implements SpanExporter {
  constructor(private readonly inner: SpanExporter) {}

  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    this.inner.export(spans.map(sanitizeSpan), resultCallback);
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }

  forceFlush(): Promise<void> {
    return this.inner.forceFlush?.() ?? Promise.resolve();
  }
}
