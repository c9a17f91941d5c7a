import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  ConfigError,
  DEVELOPMENT_ADMIN_PASSWORD,
  DEVELOPMENT_JWT_SECRET,
  loadConfig,
  loadDotenv,
} from '../src/config.js';

const base = { DATABASE_URL: 'postgresql://u:p@localhost:5432/db' };
const productionSecrets = { METRICS_PASSWORD: 'x'.repeat(20), ADMIN_PASSWORD: 'y'.repeat(20) };

describe('loadConfig', () => {
  it('applies defaults and parses durations', () => {
    const config = loadConfig({
      ...base,
      ACCESS_TOKEN_TTL: '15m',
      REFRESH_TOKEN_TTL: '7d',
      CORS_ORIGINS: 'https://a.example, https://b.example',
    });
    expect(config).toMatchObject({
      nodeEnv: 'development',
      port: 3000,
      accessTokenTtl: 900,
      refreshTokenTtl: 604800,
      corsOrigins: ['https://a.example', 'https://b.example'],
    });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('names every missing or bad variable in one line', () => {
    expect(() => loadConfig({ PORT: 'eighty', BCRYPT_COST: '99' })).toThrowError(ConfigError);
    let message = '';
    try {
      loadConfig({ PORT: 'eighty', BCRYPT_COST: '99', DATABASE_URL: 'mysql://x' });
      expect.unreachable('loadConfig accepted a bad configuration');
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      message = (err as Error).message;
    }
    expect(message.split('\n')).toHaveLength(1);
    expect(message).toContain('PORT="eighty" is invalid');
    expect(message).toContain('BCRYPT_COST="99" is invalid');
    expect(message).toContain('DATABASE_URL="***" is invalid');
    expect(() => loadConfig({})).toThrowError(/DATABASE_URL is required/);
  });

  it('refuses the default or a short JWT secret in production', () => {
    expect(() => loadConfig({ ...base, NODE_ENV: 'production', ...productionSecrets })).toThrowError(
      /JWT_SECRET must be set/,
    );
    expect(() =>
      loadConfig({ ...base, NODE_ENV: 'production', JWT_SECRET: 'short', ...productionSecrets }),
    ).toThrowError(/JWT_SECRET/);
    expect(() =>
      loadConfig({ ...base, NODE_ENV: 'production', JWT_SECRET: DEVELOPMENT_JWT_SECRET, ...productionSecrets }),
    ).toThrowError(/JWT_SECRET/);
    const ok = loadConfig({ ...base, NODE_ENV: 'production', JWT_SECRET: 'a'.repeat(40), ...productionSecrets });
    expect(ok.nodeEnv).toBe('production');
  });

  it('refuses the default ADMIN_PASSWORD in production, as it does METRICS_PASSWORD', () => {
    const production = { ...base, NODE_ENV: 'production', JWT_SECRET: 'a'.repeat(40) };
    expect(() => loadConfig({ ...production, METRICS_PASSWORD: 'x'.repeat(20) })).toThrowError(
      /ADMIN_PASSWORD must be changed in production/,
    );
    expect(() =>
      loadConfig({ ...production, METRICS_PASSWORD: 'x'.repeat(20), ADMIN_PASSWORD: DEVELOPMENT_ADMIN_PASSWORD }),
    ).toThrowError(/ADMIN_PASSWORD/);
    expect(() => loadConfig({ ...production, ADMIN_PASSWORD: 'y'.repeat(20) })).toThrowError(
      /METRICS_PASSWORD must be changed in production/,
    );
    expect(loadConfig({ ...production, ...productionSecrets }).adminPassword).toBe(productionSecrets.ADMIN_PASSWORD);
    // Development and tests keep the documented default, so `npm run db:seed` works out of the box.
    expect(loadConfig(base).adminPassword).toBe(DEVELOPMENT_ADMIN_PASSWORD);
  });

  it('refuses CORS_ORIGINS=* in production: with credentials it would admit every origin', () => {
    const production = { ...base, NODE_ENV: 'production', JWT_SECRET: 'a'.repeat(40), ...productionSecrets };
    expect(() => loadConfig({ ...production, CORS_ORIGINS: '*' })).toThrowError(
      /CORS_ORIGINS=\* is refused in production/,
    );
    expect(() => loadConfig({ ...production, CORS_ORIGINS: 'https://app.example.com, *' })).toThrowError(
      /CORS_ORIGINS/,
    );
    expect(loadConfig({ ...production, CORS_ORIGINS: 'https://app.example.com' }).corsOrigins).toEqual([
      'https://app.example.com',
    ]);
    expect(loadConfig({ ...base, CORS_ORIGINS: '*' }).corsOrigins).toEqual(['*']);
  });

  it('reads the load-shedding thresholds, in milliseconds', () => {
    expect(loadConfig(base)).toMatchObject({ maxEventLoopDelay: 1000, eventLoopSampleInterval: 1000 });
    expect(loadConfig({ ...base, MAX_EVENT_LOOP_DELAY: '250', EVENT_LOOP_SAMPLE_INTERVAL: '50' })).toMatchObject({
      maxEventLoopDelay: 250,
      eventLoopSampleInterval: 50,
    });
    expect(loadConfig({ ...base, MAX_EVENT_LOOP_DELAY: '0' }).maxEventLoopDelay).toBe(0);
    expect(() => loadConfig({ ...base, MAX_EVENT_LOOP_DELAY: '1s', EVENT_LOOP_SAMPLE_INTERVAL: '5' })).toThrowError(
      /MAX_EVENT_LOOP_DELAY="1s" is invalid.*EVENT_LOOP_SAMPLE_INTERVAL="5" is invalid/,
    );
  });

  it('the server prints one clear line and exits 1 on a bad variable', () => {
    const result = spawnSync(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
      env: { PATH: process.env.PATH, NODE_ENV: 'production', DATABASE_URL: 'postgresql://u:p@localhost/db', PORT: 'x' },
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(result.status).toBe(1);
    const lines = result.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^Invalid configuration: PORT="x" is invalid .*JWT_SECRET must be set/);
  });
});

describe('loadDotenv', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dotenv-test-'));
  const file = join(dir, '.env');
  writeFileSync(file, 'PORT=4321\nLOG_LEVEL=debug\nDOTENV_PROBE="from the file"\n');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads .env in development; variables already set win', () => {
    const env: Record<string, string | undefined> = { NODE_ENV: 'development', LOG_LEVEL: 'warn' };
    loadDotenv(file, env);
    expect(env).toEqual({ NODE_ENV: 'development', LOG_LEVEL: 'warn', PORT: '4321', DOTENV_PROBE: 'from the file' });
    expect(loadConfig({ ...base, ...env })).toMatchObject({ port: 4321, logLevel: 'warn' });
  });

  it('reads .env when NODE_ENV is unset (development is the default)', () => {
    const env: Record<string, string | undefined> = {};
    loadDotenv(file, env);
    expect(env.PORT).toBe('4321');
  });

  it('ignores .env in production: the environment is the configuration', () => {
    const env: Record<string, string | undefined> = { NODE_ENV: 'production' };
    loadDotenv(file, env);
    expect(env).toEqual({ NODE_ENV: 'production' });
  });

  it('does nothing when the file does not exist', () => {
    const env: Record<string, string | undefined> = { NODE_ENV: 'development' };
    expect(() => loadDotenv(join(dir, 'missing.env'), env)).not.toThrow();
    expect(env).toEqual({ NODE_ENV: 'development' });
  });

  it('writes into process.env by default', () => {
    const probeFile = join(dir, 'probe.env');
    writeFileSync(probeFile, 'DOTENV_DEFAULT_TARGET_PROBE=yes\n');
    expect(process.env.NODE_ENV).not.toBe('production');
    try {
      loadDotenv(probeFile);
      expect(process.env.DOTENV_DEFAULT_TARGET_PROBE).toBe('yes');
    } finally {
      delete process.env.DOTENV_DEFAULT_TARGET_PROBE;
    }
  });
});
