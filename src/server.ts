// Process entry point for the API: build, listen, and drain gracefully on SIGTERM/SIGINT:
// refuse new requests with 503 for DRAIN_DELAY (a proxy retries them on another instance), then
// stop accepting, finish in-flight requests, and close PostgreSQL and Redis.
import type { AddressInfo } from 'node:net';
import closeWithGrace from 'close-with-grace';
import { buildApp } from './compose/api.js';
import { ConfigError, loadConfig, loadDotenv } from './config.js';
import { flushTelemetry } from './infra/telemetry/hooks.js';
import { handleStopSignals } from './lib/stop-signals.js';

/** Time in-flight requests get to finish once the listener is closed. */
const SHUTDOWN_GRACE_MS = 10_000;

/** Where a person can open the app: a wildcard address is not one a browser can use. */
function browsableUrl(host: string, port: number): string {
  const name = host === '0.0.0.0' || host === '::' ? 'localhost' : host.includes(':') ? `[${host}]` : host;
  return `http://${name}:${port}`;
}

async function main() {
  loadDotenv();
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }

  const app = await buildApp({ config });
  const drainDelayMs = config.drainDelay * 1000;

  let stopSignal: NodeJS.Signals | undefined;
  // close-with-grace handles errors and the rarer signals; SIGINT and SIGTERM, which arrive
  // twice on Ctrl-C under a watcher, are read by handleStopSignals below.
  const shutdown = closeWithGrace(
    { delay: drainDelayMs + SHUTDOWN_GRACE_MS, skip: ['SIGINT', 'SIGTERM'] },
    async ({ err }) => {
      signals.stopping();
      if (err) app.log.error({ err }, 'shutting down after an error');
      else app.log.info({ signal: stopSignal, drainDelayMs }, 'shutting down');
      // After a crash there is nothing to protect by waiting.
      if (!err && drainDelayMs > 0) {
        app.startDraining();
        await new Promise((resolve) => setTimeout(resolve, drainDelayMs));
      }
      await app.close();
      await flushTelemetry();
      app.log.info('stopped');
    },
  );
  const signals = handleStopSignals({
    stop(signal) {
      stopSignal = signal;
      shutdown.close();
    },
    force(signal) {
      app.log.error({ signal }, `second ${signal}, exiting`);
      process.exit(1);
    },
  });

  await app.listen({ host: config.host, port: config.port });
  const url = browsableUrl(config.host, (app.server.address() as AddressInfo).port);
  app.log.info(`api ready: ${url} (API docs: ${url}/docs)`);
}

await main();
