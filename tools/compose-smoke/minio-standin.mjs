// Stand-in for minio/minio (`server /data`): s3rver, an S3-protocol server on local disk, on
// port 9000, accepting MINIO_ROOT_USER / MINIO_ROOT_PASSWORD as its key pair. Enough for the
// app's S3 adapter (put with multipart, ranged get, head, delete, list); no console, no IAM.
import { accessSync, constants, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire('/opt/s3rver/');
const S3rver = require('s3rver');
const { DUMMY_ACCOUNT } = require('s3rver/lib/models/account.js');

const [command, requested = '/data'] = process.argv.slice(2);
if (command !== 'server') {
  console.error(`minio stand-in: only \`server <dir>\` is supported, got ${process.argv.slice(2).join(' ')}`);
  process.exit(2);
}
// The stand-ins share one root filesystem, where /data belongs to redis; MinIO runs as root with
// no capabilities (no DAC override), so it may not write there: fall back to a directory of its own.
let directory = requested;
try {
  accessSync(requested, constants.W_OK);
} catch {
  directory = '/var/tmp/minio-data';
  mkdirSync(directory, { recursive: true });
}
DUMMY_ACCOUNT.createKeyPair(
  process.env.MINIO_ROOT_USER ?? 'minioadmin',
  process.env.MINIO_ROOT_PASSWORD ?? 'minioadmin',
);
await new S3rver({ address: '0.0.0.0', port: 9000, silent: false, directory }).run();
console.log(`minio stand-in (s3rver) serving ${directory} on :9000`);
for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => process.exit(0));
