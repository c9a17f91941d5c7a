// Process entry point for background jobs (`npm run start:worker`): the BullMQ workers of every
// queue, or of WORKER_QUEUES only, to scale one kind of work on its own. SIGTERM and SIGINT
// stop taking jobs, let the running ones finish, and exit 0 (a repeat within a second, as Ctrl-C
// under a watcher delivers, is the same signal; a later one exits at once).
import { ConfigError, loadConfig, loadDotenv, type Config } from './config.js';
import { flushTelemetry } from './infra/telemetry/hooks.js';
import { handleStopSignals } from './lib/stop-signals.js';
import { startWorkerRuntime, type WorkerRuntime } from './compose/worker.js';

async function main() {
  loadDotenv();
  let config: Config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }

  // Until the workers run there is no job to finish: a signal during start-up just ends the process.
  const runtime: WorkerRuntime = await startWorkerRuntime(config, { queues: config.workerQueues });
  handleStopSignals({
    async stop(signal) {
      runtime.log.info({ signal }, 'worker stopping: finishing active jobs');
      try {
        await runtime.close();
        // The spans of the last jobs, still in the batch, before process.exit.
        await flushTelemetry();
        runtime.log.info('worker stopped');
        process.exit(0);
      } catch (err) {
        runtime.log.error({ err }, 'worker shutdown failed');
        process.exit(1);
      }
    },
    // A job cut short here is taken up again by a worker once its lock expires.
    force(signal) {
      runtime.log.error({ signal }, `second ${signal}, exiting without finishing active jobs`);
      process.exit(1);
    },
  });
}

await main();
