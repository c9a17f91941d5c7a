// Starts the API as a child process for the benchmarks: from dist/ (what production runs; the
// callers build first), or from TypeScript through tsx with `--tsx` while editing.
import { API_NODE_ARGS, log, option, startProcess } from './lib.mjs';

export { apiEnv, bearerFor, json, mb, newUserBearer, option } from './lib.mjs';

/** The api process pinned to `cpu` (core 0 by default; the load generator runs on the last). */
export async function startApi(env, { cpu = 0, nodeArgs = API_NODE_ARGS } = {}) {
  const fromTsx = option('tsx', false) === true;
  // e.g. --node-options "--max-old-space-size=128" to see how far the heap policy explains RSS.
  const nodeOptions = option('node-options', '');
  if (nodeOptions) env = { ...env, NODE_OPTIONS: nodeOptions };
  log(
    `api: node ${[...nodeArgs, fromTsx ? '--import tsx src/server.ts' : 'dist/server.js'].join(' ')}${env.MALLOC_ARENA_MAX ? ` (MALLOC_ARENA_MAX=${env.MALLOC_ARENA_MAX})` : ''}${nodeOptions ? ` (NODE_OPTIONS=${nodeOptions})` : ''} on port ${env.PORT}`,
  );
  return startProcess({
    script: fromTsx ? 'src/server.ts' : 'dist/server.js',
    nodeArgs: fromTsx ? ['--import', 'tsx', ...nodeArgs] : nodeArgs,
    env,
    cpu,
    readyUrl: `http://127.0.0.1:${env.PORT}/health/ready`,
  });
}

/** The worker process (BullMQ jobs: CSV imports...), ready once it logs "worker started". */
export async function startWorker(env, { cpu = 0 } = {}) {
  const fromTsx = option('tsx', false) === true;
  // e.g. --worker-node-args "--cpu-prof --cpu-prof-dir=.tmp/profiles/worker" to profile the import.
  const extra = option('worker-node-args', '').split(' ').filter(Boolean);
  return startProcess({
    script: fromTsx ? 'src/worker.ts' : 'dist/worker.js',
    nodeArgs: fromTsx ? ['--import', 'tsx', ...extra] : extra,
    env,
    cpu,
    readyLog: /"msg":"worker started"/,
  });
}
