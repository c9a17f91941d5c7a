// OTEL_TRACES_SAMPLER / OTEL_TRACES_SAMPLER_ARG as the specification reads them (default:
// parentbased_always_on), with one rule of ours on top: a trace must start at something a
// person asked for (an HTTP request, a job). Root spans of kind INTERNAL or CLIENT are
// background chatter (BullMQ's worker polling Redis every few seconds, its stalled-job checks,
// pool warm-up queries): they are dropped, and with them their children.
//
// Cost: the decision for an incoming request is taken once, before any span work
// (`admitRequest`, called by request-gate.ts's onRequest hook). A request it turns down is then
// not traced at all, like /health: no server span, no Redis or SQL span objects, no attributes
// computed. Measured, that per-request work of unsampled requests was
// most of tracing's cost at 10 % sampling (tools/bench/results/tracing-cost-2026-12-02.md). The
// price: an unsampled request passes no `traceparent` (flag 00) on to what it calls, so a job it
// enqueues is sampled on its own in the worker, at the same ratio.
import { SpanKind, trace, type Attributes, type Context, type Link } from '@opentelemetry/api';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  ParentBasedSampler,
  RandomIdGenerator,
  SamplingDecision,
  TraceIdRatioBasedSampler,
  type Sampler,
  type SamplingResult,
} from '@opentelemetry/sdk-trace';

function ratio(arg: string | undefined): number {
  const value = Number(arg);
  return arg !== undefined && arg.trim() !== '' && Number.isFinite(value) && value >= 0 && value <= 1 ? value : 1;
}

/** The sampler OTEL_TRACES_SAMPLER names, as the SDK would build it. */
export function samplerFromEnv(env: Record<string, string | undefined>): Sampler {
  const name = env.OTEL_TRACES_SAMPLER?.trim().toLowerCase() || 'parentbased_always_on';
  const arg = env.OTEL_TRACES_SAMPLER_ARG;
  switch (name) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return new TraceIdRatioBasedSampler(ratio(arg));
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(ratio(arg)) });
    default:
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
  }
}

export class RequestRootedSampler implements Sampler {
  private readonly ids = new RandomIdGenerator();
  /** admitRequest's yes, for the server span @fastify/otel starts right after it. */
  private admitted = false;

  constructor(private readonly inner: Sampler) {}

  /**
   * Whether an incoming request is traced, asked before its server span exists: the inner
   * sampler's answer for a server span under `context` (the trusted incoming trace context, or
   * none). A trace id drawn here only feeds a ratio sampler's draw. @fastify/otel starts the
   * server span synchronously after the gate's hook (request-gate.ts), so the answer is handed
   * to that span's shouldSample call, which does not draw a second time.
   */
  admitRequest(context: Context): boolean {
    const { decision } = this.inner.shouldSample(
      context,
      this.ids.generateTraceId(),
      'request',
      SpanKind.SERVER,
      {},
      [],
    );
    this.admitted = decision === SamplingDecision.RECORD_AND_SAMPLED;
    return this.admitted;
  }

  /** An incoming request that is never traced (probes): no answer waits for a server span. */
  turnAway(): void {
    this.admitted = false;
  }

  /** Whether the last admitRequest said yes and no server span has taken the answer yet. */
  get admitting(): boolean {
    return this.admitted;
  }

  shouldSample(
    context: Context,
    traceId: string,
    spanName: string,
    spanKind: SpanKind,
    attributes: Attributes,
    links: Link[],
  ): SamplingResult {
    if (spanKind === SpanKind.SERVER && this.admitted) {
      this.admitted = false;
      return { decision: SamplingDecision.RECORD_AND_SAMPLED };
    }
    const isRoot = !trace.getSpanContext(context);
    if (isRoot && (spanKind === SpanKind.INTERNAL || spanKind === SpanKind.CLIENT))
      return { decision: SamplingDecision.NOT_RECORD };
    return this.inner.shouldSample(context, traceId, spanName, spanKind, attributes, links);
  }

  toString(): string {
    return `RequestRooted{${this.inner.toString()}}`;
  }
}
