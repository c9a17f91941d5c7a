// The SDK's AsyncLocalStorage context manager, less one thing: it does not bind an event emitter
// to a context in which tracing is suppressed. The http instrumentation binds every incoming
// request and response to the request's context, including the requests it leaves untraced
// (/health, /metrics, and since sampler.ts's admitRequest every unsampled one); a bound emitter
// wraps every listener added to it in a closure, for nothing when no span can start there.
// Measured, that binding was the largest part left of an unsampled request's cost
// (tools/bench/results/tracing-cost-2026-12-02.md). Without it, an untraced request's listeners
// (a body parsed, then its handler) run in the context they are emitted from, which holds no
// span either: a span started there is a root, which the instrumentation skips (pg, ioredis and
// outgoing http need a parent); only an enqueue is sampled on its own, like the job (sampler.ts).
import { EventEmitter } from 'node:events';
import type { Context } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { isTracingSuppressed } from '@opentelemetry/core';

export class UntracedEmittersContextManager extends AsyncLocalStorageContextManager {
  override bind<T>(context: Context, target: T): T {
    if (target instanceof EventEmitter && isTracingSuppressed(context)) return target;
    return super.bind(context, target);
  }
}
