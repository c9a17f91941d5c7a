// `npm run test:web`: the browser app end to end. Debian's Chromium (playwright-core) against the
// built app served by TWO api instances started from dist/ (as `npm start` runs them), the
// worker, PostgreSQL, Redis and a fake SMTP server (test/web/stack.ts). Apart from `npm test`:
// it needs the build, and its files end in .web.ts so the unit run never picks them up. One
// file at a time: each drives a browser, and the machine has two cores.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/web/**/*.web.ts'],
    globalSetup: ['test/web/stack.ts'],
    pool: 'forks',
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // The app answers within a second or two, but the machine is shared: poll for longer.
    expect: { poll: { timeout: 15_000, interval: 100 } },
  },
});
