// A local OTLP/HTTP sink that reads and discards every export (the tracing scenarios send
// their spans here): what the api pays is building, batching and sending spans, not a backend.
//   PORT=4319 node tools/bench/otlp-discard.mjs
import { createServer } from 'node:http';

let exports = 0;
createServer((request, response) => {
  request.resume();
  request.on('end', () => {
    if (request.url === '/v1/traces') exports++;
    response.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
  });
}).listen(Number(process.env.PORT ?? 4319), '127.0.0.1');

process.on('SIGTERM', () => {
  process.stderr.write(`otlp-discard: ${exports} exports received\n`);
  process.exit(0);
});
