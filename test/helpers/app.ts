// Builds the real app against the run's database and Redis prefix. Test data (users, items,
// files, API keys) comes from the factories in ./factories/.
import { inject } from 'vitest';
import { buildApp, type App, type BuildAppOptions } from '../../src/compose/api.js';
import { loadConfig, type Config } from '../../src/config.js';
import type { Problem } from '../../src/plugins/errors.js';
import { s3TestEnv } from './storage.js';

export const TEST_JWT_SECRET = 'test-secret-that-is-long-enough-for-hs256-signing-0123456789';

export function testEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    NODE_ENV: 'test',
    DATABASE_URL: inject('databaseUrl'),
    REDIS_URL: inject('redisUrl'),
    REDIS_PREFIX: inject('redisPrefix'),
    JWT_SECRET: TEST_JWT_SECRET,
    BCRYPT_COST: '4',
    LOG_LEVEL: 'silent',
    UPLOAD_DIR: `.tmp/uploads-${inject('runId')}`,
    // Every test file injects from 127.0.0.1 into one shared Redis counter: keep the limits out
    // of the way; rate-limit tests set their own and use their own client addresses.
    RATE_LIMIT_MAX: '1000000',
    LOGIN_RATE_LIMIT_MAX: '10000',
    // Test files run in parallel on a small machine: event-loop lag there is the machine's, not
    // the app's. Load-shedding tests set their own threshold.
    MAX_EVENT_LOOP_DELAY: '0',
    ...s3TestEnv(),
    // Whatever a checkout has built in web/dist: tests that serve a web app build their own.
    WEB_DIST_DIR: '.tmp/no-web-build',
    ...extra,
  };
}

export function testConfig(extra: Record<string, string> = {}): Config {
  return loadConfig(testEnv(extra));
}

export interface TestAppOptions extends Omit<BuildAppOptions, 'config'> {
  env?: Record<string, string>;
  /** Adds test-only routes before the app is sealed. */
  extend?: (app: App) => void;
}

export async function buildTestApp(options: TestAppOptions = {}): Promise<App> {
  const { env, extend, ...rest } = options;
  const app = await buildApp({ ...rest, config: testConfig(env) });
  extend?.(app);
  await app.ready();
  return app;
}

/** Asserts the RFC 9457 shape and returns the parsed problem. */
export function problemOf(response: { statusCode: number; headers: Record<string, unknown>; json: <T>() => T }) {
  const contentType = String(response.headers['content-type'] ?? '');
  if (!contentType.startsWith('application/problem+json')) {
    throw new Error(`expected application/problem+json, got ${contentType} (${response.statusCode})`);
  }
  return response.json<Problem>();
}
