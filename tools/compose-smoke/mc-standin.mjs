#!/usr/bin/env node
// Stand-in for the MinIO client `mc`, the two commands docker-compose.yml runs:
//   mc ready local                          (the minio health check: is :9000 answering?)
//   mc mb --ignore-existing <alias>/<bucket> (the bucket one-shot; MC_HOST_<alias>=http://k:s@host:port)
// Bucket creation is an anonymous PUT, which s3rver (the minio stand-in) accepts.
const args = process.argv.slice(2);
try {
  if (args[0] === 'ready') {
    await fetch('http://127.0.0.1:9000/');
    process.exit(0);
  }
  if (args[0] === 'mb') {
    const target = args.filter((arg) => !arg.startsWith('--'))[1] ?? '';
    const [alias, bucket] = target.split('/');
    const host = new URL(process.env[`MC_HOST_${alias}`] ?? '');
    const response = await fetch(`${host.protocol}//${host.host}/${bucket}`, { method: 'PUT' });
    const body = await response.text();
    const exists = /BucketAlreadyOwnedByYou|BucketAlreadyExists/.test(body);
    if (!response.ok && !(exists && args.includes('--ignore-existing'))) throw new Error(`${response.status} ${body}`);
    console.log(`Bucket created successfully \`${target}\`.`);
    process.exit(0);
  }
  throw new Error(`unsupported: mc ${args.join(' ')}`);
} catch (error) {
  console.error(`mc stand-in: ${error.message}`);
  process.exit(1);
}
