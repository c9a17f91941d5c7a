// Where a request's trace starts: @fastify/otel's request span is the server span, and a hook of
// ours runs just before it to decide, once and cheaply, whether the request is traced at all.
//
// Why not the http instrumentation's server span (as before): it did its work for every
// request, sampled or not (parsing the URL into attributes, binding the request and the response
// to a context, a wrapper around every listener), and a sampled request then carried two spans,
// its own and @fastify/otel's. Measured at 0 % sampling, an untraced cached read still cost
// +19 % CPU that way (tools/bench/results/tracing-cost-2026-12-02.md). Now an untraced request
// costs this hook (the sampler's draw, and the trust check when the caller sent a trace context)
// and @fastify/otel's first test.
//
// The price: the server span starts at Fastify's onRequest and ends at onSend, when the
// response starts; a streamed body (CSV export, downloads, SSE) is timed by its own spans, not
// by the server span.
import diagnostics from 'node:diagnostics_channel';
import { defaultTextMapGetter, ROOT_CONTEXT, type Span, type TextMapPropagator } from '@opentelemetry/api';
import { FastifyOtelInstrumentation, type FastifyOtelInstrumentationOpts } from '@fastify/otel';
import type { FastifyInstance, FastifyRequest, onRequestHookHandler } from 'fastify';
import type { RequestRootedSampler } from './sampler.js';
import type { TrustedPropagation } from './trusted-propagation.js';

/** Probes and scrapes: frequent, uninteresting, and they would drown the requests people look for. */
const UNTRACED_PATHS = /^\/(?:health(?:\/|$|\?)|metrics(?:$|\?))/;

/** Server spans are named by method and route template, never by the raw URL (ids, tokens). */
function describeServerSpan(span: Span, request: FastifyRequest): void {
  const route = request.routeOptions.url;
  span.updateName(route ? `${request.method} ${route}` : request.method);
  const query = request.url.indexOf('?');
  span.setAttributes({
    // @fastify/otel records the URL with its query; the path is what the convention names, and a
    // query may carry a credential (`?token=`; the exporter would redact it, this never sends it).
    'url.path': query === -1 ? request.url : request.url.slice(0, query),
    'client.address': request.ip,
    'url.scheme': request.protocol,
    'network.protocol.version': request.raw.httpVersion,
    ...(request.headers['user-agent'] ? { 'user_agent.original': request.headers['user-agent'] } : {}),
  });
}

export class RequestGate {
  /** The headers the propagator reads (traceparent, tracestate, baggage). */
  private readonly fields: string[];

  constructor(
    private readonly sampler: RequestRootedSampler,
    private readonly trust: TrustedPropagation,
    private readonly propagator: TextMapPropagator,
  ) {
    this.fields = propagator.fields();
  }

  /**
   * @fastify/otel behind the gate. Both add their onRequest hook to each Fastify instance as it
   * is created (the `fastify.initialization` channel), in the order they subscribe: the gate's
   * first. Fastify runs the two back to back, synchronously, which is what lets the sampler's
   * answer pass from one to the other (and on to the span's own shouldSample, sampler.ts).
   */
  instrumentFastify(options: Omit<FastifyOtelInstrumentationOpts, 'ignorePaths' | 'requestHook'>) {
    diagnostics.subscribe('fastify.initialization', (message) =>
      (message as { fastify: FastifyInstance }).fastify.addHook('onRequest', this.decide),
    );
    return new FastifyOtelInstrumentation({
      ...options,
      registerOnInitialization: true,
      ignorePaths: () => !this.sampler.admitting,
      requestHook: describeServerSpan,
    });
  }

  private readonly decide: onRequestHookHandler = (request, _reply, done) => {
    let parent = ROOT_CONTEXT;
    if (this.fields.some((field) => request.headers[field] !== undefined)) {
      // A trace context counts only from TRUST_PROXY (trusted-propagation.ts), here and when
      // @fastify/otel extracts it again for the span. Checked only when there is one to check:
      // the address lookup is most of this hook's cost.
      this.trust.screen(request.raw);
      parent = this.propagator.extract(ROOT_CONTEXT, request.headers, defaultTextMapGetter);
    }
    if (UNTRACED_PATHS.test(request.url)) this.sampler.turnAway();
    else this.sampler.admitRequest(parent);
    done();
  };
}
