// Whether this process traces: only the standard OpenTelemetry variables decide (an OTLP
// endpoint, and OTEL_SDK_DISABLED / OTEL_TRACES_EXPORTER=none to turn it off again). No imports:
// the preload calls it before anything else loads.
export function tracingEnabled(env: Record<string, string | undefined>): boolean {
  const endpoint = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || env.OTEL_EXPORTER_OTLP_ENDPOINT;
  if (!endpoint?.trim()) return false;
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') return false;
  return env.OTEL_TRACES_EXPORTER?.trim().toLowerCase() !== 'none';
}
