// OTEL_TRACES_SAMPLER / OTEL_TRACES_SAMPLER_ARG as the specification reads them (default:
// parentbased_always_on), with one rule of ours on top: a trace must start at something a
// person asked for (an HTTP request, a job). Root spans of kind INTERNAL or CLIENT are
// background chatter (BullMQ's worker polling Redis every few seconds, its stalled-job checks,
// pool warm-up queries): they are dropped, and with them their children.
import { SpanKind, trace, type Attributes, type Context, type Link } from '@opentelemetry/api';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  ParentBasedSampler,
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
  constructor(private readonly inner: Sampler) {}

  shouldSample(
    context: Context,
    traceId: string,
    spanName: string,
    spanKind: SpanKind,
    attributes: Attributes,
    links: Link[],
  ): SamplingResult {
    const isRoot = !trace.getSpanContext(context);
    if (isRoot && (spanKind === SpanKind.INTERNAL || spanKind === SpanKind.CLIENT))
      return { decision: SamplingDecision.NOT_RECORD };
    return this.inner.shouldSample(context, traceId, spanName, spanKind, attributes, links);
  }

  toString(): string {
    return `RequestRooted{${this.inner.toString()}}`;
  }
}
