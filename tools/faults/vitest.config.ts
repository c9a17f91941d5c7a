// `npm run test:faults`: fault-injection tests (outages, slow clients, killed processes). They
// start private servers and processes of their own, so they run apart from `npm test`. Paths are
// relative to the project root (the directory npm runs scripts from), as in vitest.config.ts.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tools/faults/**/*.faults.ts'],
    globalSetup: ['test/helpers/global-setup.ts'],
    pool: 'forks',
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
