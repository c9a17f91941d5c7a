import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { ConfigError, DEVELOPMENT_JWT_SECRET, loadConfig } from '../src/config.js';

const base = { DATABASE_URL: 'postgresql://u:p@localhost:5432/db' };

describe('loadConfig', () => {
  it('applies defaults and parses durations', () => {
    const config = loadConfig({ ...base, ACCESS_TOKEN_TTL: '15m', REFRESH_TOKEN_TTL: '7d', CORS_ORIGINS: 'https://a.example, https://b.example' });
    expect(config).toMatchObject({ nodeEnv: 'development', port: 3000, accessTokenTtl: 900, refreshTokenTtl: 604800, corsOrigins: ['https://a.example', 'https://b.example'] });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('names every missing or bad variable in one line', () => {
    expect(() => loadConfig({ PORT: 'eighty', BCRYPT_COST: '99' })).toThrowError(ConfigError);
    try {
      loadConfig({ PORT: 'eighty', BCRYPT_COST: '99', DATABASE_URL: 'mysql://x' });
    } catch (err) {
      const message = (err as Error).message;
      expect(message.split('\n')).toHaveLength(1);
      expect(message).toContain('PORT="eighty" is invalid');
      expect(message).toContain('BCRYPT_COST="99" is invalid');
      expect(message).toContain('DATABASE_URL="***" is invalid');
    }
    expect(() => loadConfig({})).toThrowError(/DATABASE_URL is required/);
  });

  it('refuses the default or a short JWT secret in production', () => {
    expect(() => loadConfig({ ...base, NODE_ENV: 'production', METRICS_PASSWORD: 'x'.repeat(20) })).toThrowError(/JWT_SECRET must be set/);
    expect(() => loadConfig({ ...base, NODE_ENV: 'production', JWT_SECRET: 'short', METRICS_PASSWORD: 'x'.repeat(20) })).toThrowError(/JWT_SECRET/);
    expect(() => loadConfig({ ...base, NODE_ENV: 'production', JWT_SECRET: DEVELOPMENT_JWT_SECRET, METRICS_PASSWORD: 'x'.repeat(20) })).toThrowError(/JWT_SECRET/);
    const ok = loadConfig({ ...base, NODE_ENV: 'production', JWT_SECRET: 'a'.repeat(40), METRICS_PASSWORD: 'x'.repeat(20) });
    expect(ok.nodeEnv).toBe('production');
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
