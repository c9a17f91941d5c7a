#!/usr/bin/env node
// The S3 endpoint of the upload/download-through-S3 scenarios: s3rver (an S3-protocol server
// on local disk) in a process of its own, pinned with the load generator. Both sides of each
// comparison go through it, so its speed is in the baseline too.
//   PORT=3904 BUCKET=bench DIR=.tmp/bench-s3 node tools/bench/s3-server.mjs   (prints "ready")
import { rmSync } from 'node:fs';
import S3rver from 's3rver';

const directory = process.env.DIR ?? `.tmp/bench-s3-${process.pid}`;
const server = new S3rver({
  address: '127.0.0.1',
  port: Number(process.env.PORT ?? 3904),
  silent: true,
  directory,
  configureBuckets: [{ name: process.env.BUCKET ?? 'bench' }],
});
await server.run();
console.log('ready');
process.on('SIGTERM', async () => {
  await server.close();
  rmSync(directory, { recursive: true, force: true });
  process.exit(0);
});
