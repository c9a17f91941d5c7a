// Bench only, loaded after the telemetry preload (`--import`): lets tracing-paired.mjs change the
// sampling ratio of a running api, so that two ratios are compared inside one process and a
// process's own luck (±20-30 % CPU per request from one start to the next here) cancels out.
// On SIGWINCH (not SIGUSR2: close-with-grace stops the api on that one) it reads the ratio from
// the file BENCH_SAMPLING_FILE names and puts a parentbased_traceidratio sampler of that ratio inside the api's own RequestRootedSampler
// (src/infra/telemetry/sampler.ts), which the request gate and every tracer share.
import { readFileSync } from 'node:fs';
import { trace } from '@opentelemetry/api';
import { ParentBasedSampler, TraceIdRatioBasedSampler } from '@opentelemetry/sdk-trace';

const file = process.env.BENCH_SAMPLING_FILE;
const provider = trace.getTracerProvider();
const sampler = provider.getDelegate?.().getTracer('bench-sampling-switch')._sampler;
if (!file || sampler?.constructor.name !== 'RequestRootedSampler' || !('inner' in sampler))
  throw new Error('sampling-switch: needs the telemetry preload first, tracing on, and BENCH_SAMPLING_FILE');

process.on('SIGWINCH', () => {
  const ratio = Number(readFileSync(file, 'utf8'));
  sampler.inner = new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(ratio) });
  process.stderr.write(`sampling-switch: ratio ${ratio}\n`);
});
