// `node --import ./dist/infra/telemetry/preload.js dist/server.js` (npm start, npm run
// start:worker, the Docker image): starts OpenTelemetry before the app's modules load, so the
// pg, ioredis and http instrumentations can patch them. Without OTEL_EXPORTER_OTLP_ENDPOINT it
// returns at once and nothing of the SDK is ever loaded.
import { tracingEnabled } from './enabled.js';

if (tracingEnabled(process.env)) {
  const { startTracing } = await import('./sdk.js');
  await startTracing(process.env);
}
