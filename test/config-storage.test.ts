// STORAGE_DRIVER and the S3 settings: local needs nothing, s3 needs a bucket, and mistakes are
// named at start, not found on the first upload.
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';

const base = { DATABASE_URL: 'postgresql://u:p@localhost:5432/db' };
const s3 = { ...base, STORAGE_DRIVER: 's3', S3_BUCKET: 'uploads' };

function problemsOf(env: Record<string, string>): string {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  return expect.unreachable('the configuration was accepted');
}

describe('storage configuration', () => {
  it('defaults to local disk, streamed downloads and no S3 settings', () => {
    expect(loadConfig(base)).toMatchObject({ storageDriver: 'local', s3: undefined, fileDownload: 'proxy' });
  });

  it('reads the S3 settings, with AWS defaults for what is unset', () => {
    expect(loadConfig(s3)).toMatchObject({
      storageDriver: 's3',
      s3: {
        bucket: 'uploads',
        region: 'us-east-1',
        endpoint: undefined,
        accessKeyId: undefined,
        secretAccessKey: undefined,
        forcePathStyle: false,
      },
    });
    const minio = loadConfig({
      ...s3,
      S3_ENDPOINT: 'http://minio:9000',
      S3_REGION: 'eu-west-1',
      S3_ACCESS_KEY_ID: 'app',
      S3_SECRET_ACCESS_KEY: 'app-secret',
      S3_FORCE_PATH_STYLE: 'true',
      FILE_DOWNLOAD: 'redirect',
    });
    expect(minio.s3).toEqual({
      endpoint: 'http://minio:9000',
      region: 'eu-west-1',
      bucket: 'uploads',
      accessKeyId: 'app',
      secretAccessKey: 'app-secret',
      forcePathStyle: true,
    });
    expect(minio.fileDownload).toBe('redirect');
  });

  it('requires a valid bucket name when the driver is s3', () => {
    expect(problemsOf({ ...base, STORAGE_DRIVER: 's3' })).toContain('S3_BUCKET is required');
    expect(problemsOf({ ...s3, S3_BUCKET: 'Bad_Bucket' })).toContain('S3_BUCKET="Bad_Bucket" is invalid');
  });

  it('names an unknown driver, a bad endpoint and a bad path-style flag', () => {
    expect(problemsOf({ ...base, STORAGE_DRIVER: 'gcs' })).toContain('STORAGE_DRIVER="gcs" is invalid (local or s3)');
    const message = problemsOf({ ...s3, S3_ENDPOINT: 'minio:9000', S3_FORCE_PATH_STYLE: 'yes' });
    expect(message).toContain('S3_ENDPOINT');
    expect(message).toContain('S3_FORCE_PATH_STYLE="yes" is invalid');
  });

  it('refuses one S3 key without the other, and never prints the secret', () => {
    expect(problemsOf({ ...s3, S3_ACCESS_KEY_ID: 'app' })).toContain(
      'set S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY together',
    );
    const message = problemsOf({ ...s3, S3_SECRET_ACCESS_KEY: 'very-secret-value' });
    expect(message).toContain('S3_SECRET_ACCESS_KEY');
    expect(message).not.toContain('very-secret-value');
  });

  it('refuses redirect downloads on local disk (there is nothing to presign)', () => {
    expect(problemsOf({ ...base, FILE_DOWNLOAD: 'redirect' })).toContain('redirect needs STORAGE_DRIVER=s3');
    expect(problemsOf({ ...base, FILE_DOWNLOAD: 'sometimes' })).toContain('FILE_DOWNLOAD="sometimes" is invalid');
  });

  it('ignores the S3 variables when the driver is local', () => {
    expect(loadConfig({ ...base, S3_BUCKET: 'Not A Bucket', S3_FORCE_PATH_STYLE: 'maybe' }).s3).toBeUndefined();
  });
});
