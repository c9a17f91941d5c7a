// The environment of the built api and worker in a native run (topology, observability): what
// compose gives them (production mode, loopback, a seeded admin), with the run's own database,
// Redis prefix, upload directory and fresh secrets. Each run adds what it tests.
import { randomBytes } from 'node:crypto';

export function nativeAppEnv({ publicUrl, databaseUrl, redisUrl, redisPrefix, admin, metricsPassword, uploadDir }) {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    PUBLIC_URL: publicUrl,
    DATABASE_URL: databaseUrl,
    DATABASE_POOL_MAX: '5',
    REDIS_URL: redisUrl,
    REDIS_PREFIX: redisPrefix,
    JWT_SECRET: randomBytes(48).toString('base64url'),
    METRICS_PASSWORD: metricsPassword,
    ADMIN_EMAIL: admin.email,
    ADMIN_PASSWORD: admin.password,
    BCRYPT_COST: '10',
    UPLOAD_DIR: uploadDir,
  };
}
