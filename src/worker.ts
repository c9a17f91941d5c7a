// Process entry point for background jobs (`npm run start:worker`): the BullMQ workers of every
// queue, or of WORKER_QUEUES only, to scale one kind of work on its own. SIGTERM and SIGINT
// stop taking jobs, let the running ones finish, and exit 0.
import { ConfigError, loadConfig, loadDotenv, type Config } from './config.js';
import { startWorkerRuntime, type WorkerRuntime } from './modules/jobs/worker-runtime.js';

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
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    runtime.log.info({ signal }, 'worker stopping: finishing active jobs');
    try {
      await runtime.close();
      process.exit(0);
    } catch (err) {
      runtime.log.error({ err }, 'worker shutdown failed');
      process.exit(1);
    }
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
}

await main();
