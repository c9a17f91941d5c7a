// The JSON-RPC side of the engine protocol: one JSON object per line on stdin/stdout.
//
// The CLI sends requests `{ jsonrpc, id, method, params }` and expects `{ jsonrpc, id, result }`
// (`result: null` for void methods, never missing) or `{ jsonrpc, id, error }`. The engine may send
// the CLI a `print` request, which the CLI writes to its stdout and answers; those answers carry no
// `method` and are ignored here.

import readline from 'node:readline';

import { logLine } from './errors.mjs';

/**
 * Serve requests until stdin closes. Requests run one at a time, in order, like the native engine.
 * @param {{ handle: (method: string, params: any, tools: { print: (content: string) => void }) => Promise<any>,
 *           toRpcError: (err: unknown) => object }} options
 * @returns {Promise<void>} resolves when stdin is closed and the last request has been answered.
 */
export function serveJsonRpc({ handle, toRpcError }) {
  let nextOwnId = 1;
  const send = (message) => process.stdout.write(`${JSON.stringify({ jsonrpc: '2.0', ...message })}\n`);
  const tools = {
    // Sent before the response it belongs to, so the CLI prints it first.
    print: (content) => send({ id: nextOwnId++, method: 'print', params: { content } }),
  };

  // A wasm panic (or invalid params) surfaces as an uncaught exception, not as a rejected
  // promise. Answer the request that caused it with a panic error and exit with the native
  // engine's panic status (101), so the CLI reports it instead of waiting forever.
  let currentId;
  process.once('uncaughtException', (err) => {
    if (currentId !== undefined) {
      const error = toRpcError(err);
      send({ id: currentId, error: { ...error, data: { ...error.data, is_panic: true } } });
    }
    process.stderr.write(`${logLine('ERROR', String(err?.stack ?? err))}\n`);
    process.exit(101);
  });

  let queue = Promise.resolve();
  const lines = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });

  lines.on('line', (line) => {
    if (!line.trim()) return;
    let message;
    try {
      message = JSON.parse(line);
    } catch {
      send({ id: null, error: { code: -32700, message: 'Parse error' } });
      return;
    }
    if (typeof message.method !== 'string') return; // the CLI's reply to a `print` request
    queue = queue.then(async () => {
      currentId = message.id;
      try {
        const result = await handle(message.method, message.params, tools);
        send({ id: message.id, result: result ?? null });
      } catch (err) {
        send({ id: message.id, error: toRpcError(err) });
      } finally {
        currentId = undefined;
      }
    });
  });

  return new Promise((resolve) => lines.on('close', () => queue.then(resolve)));
}
