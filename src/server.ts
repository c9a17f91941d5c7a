// Process entry point for the API: build, listen, and drain gracefully on SIGTERM/SIGINT:
// refuse new requests with 503 for DRAIN_DELAY (a proxy retries them on another instance), then
// stop accepting, finish in-flight requests, and close PostgreSQL and Redis.
import closeWithGrace from 'close-with-grace';
import { buildApp } from './app.js';
import { ConfigError, loadConfig, loadDotenv } from './config.js';

/** Time in-flight requests get to finish once the listener is closed. */
const SHUTDOWN_GRACE_MS = 10_000;

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

  closeWithGrace({ delay: drainDelayMs + SHUTDOWN_GRACE_MS }, async ({ signal, err }) => {
    if (err) app.log.error({ err }, 'shutting down after an error');
    else app.log.info({ signal, drainDelayMs }, 'shutting down');
    // After a crash there is nothing to protect by waiting.
    if (!err && drainDelayMs > 0) {
      app.startDraining();
      await new Promise((resolve) => setTimeout(resolve, drainDelayMs));
    }
    await app.close();
  });

  await app.listen({ host: config.host, port: config.port });
}

await main();
