import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // tools/**: the optional tools' own tests (tools/prisma-offline); they go when a tool is dropped.
    include: ['test/**/*.test.ts', 'tools/**/*.test.ts'],
    globalSetup: ['test/helpers/global-setup.ts'],
    pool: 'forks',
    testTimeout: 20_000,
    hookTimeout: 60_000,
    // Tests share one database per run; every test creates its own users and rows.
    fileParallelism: true,
    coverage: {
      provider: 'v8',
      include: ['src/**/*.ts'],
      // The entry points and the telemetry preload/SDK run only in child processes (their tests
      // spawn them), where in-process coverage cannot see them.
      exclude: [
        'src/generated/**',
        'src/server.ts',
        'src/worker.ts',
        'src/infra/telemetry/preload.ts',
        'src/infra/telemetry/sdk.ts',
      ],
      reporter: ['text-summary', 'text', 'json-summary'],
      thresholds: { lines: 90 },
    },
  },
});
