// Watches the commands one Redis server runs, for tests that assert a command was or was not
// sent. A raw MONITOR connection rather than ioredis's monitor(): ioredis enters monitoring mode
// one microtask after MONITOR's +OK, so a monitor line that arrives in the same packet as the +OK
// is taken for the reply to a command nobody sent, and it throws "Command queue state error"
// outside any test (seen in CI on a busy Redis).
import { randomUUID } from 'node:crypto';
import { connect, type Socket } from 'node:net';

export type RedisMonitor = {
  /** Every command seen since the monitor started, as its arguments (the name first). */
  readonly commands: string[][];
  /** Resolves once every command Redis ran before this call is in `commands`. */
  settle(): Promise<void>;
  stop(): void;
};

export async function monitorRedis(redisUrl: string): Promise<RedisMonitor> {
  const url = new URL(redisUrl);
  const commands: string[][] = [];
  const waiting = new Map<string, { resolve(): void; reject(err: Error): void }>();
  const socket = await open(url);
  // A lost connection fails the settle() that waits on it, rather than the whole test file.
  socket.on('error', (err) => waiting.forEach(({ reject }) => reject(err)));
  let buffer = '';
  let replies = url.password ? 2 : 1; // AUTH's +OK, then MONITOR's
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.once('close', () => reject(new Error('the MONITOR connection closed')));
    socket.on('data', (chunk: Buffer) => {
      buffer += chunk.toString('latin1');
      let end: number;
      while ((end = buffer.indexOf('\r\n')) >= 0) {
        const line = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        if (line.startsWith('-')) reject(new Error(`MONITOR refused: ${line.slice(1)}`));
        else if (replies > 0 && line === '+OK') {
          replies -= 1;
          if (replies === 0) resolve();
        } else if (line.startsWith('+')) {
          const args = parseArguments(line);
          commands.push(args);
          if (/^ping$/i.test(args[0] ?? '')) waiting.get(args[1] ?? '')?.resolve();
        }
      }
    });
    socket.write(command('MONITOR'));
  });
  return {
    commands,
    async settle() {
      const marker = `monitor-settle-${randomUUID()}`;
      const seen = new Promise<void>((resolve, reject) => waiting.set(marker, { resolve, reject }));
      const pinger = await open(url);
      pinger.on('error', (err) => waiting.get(marker)?.reject(err));
      try {
        pinger.write(command('PING', marker));
        await seen;
      } finally {
        waiting.delete(marker);
        pinger.destroy();
      }
    },
    stop: () => socket.destroy(),
  };
}

/** A connection to the URL's server, signed in when the URL carries a password. */
async function open(url: URL): Promise<Socket> {
  const socket = connect(Number(url.port || 6379), url.hostname.replace(/^\[|\]$/g, ''));
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  if (url.password) {
    const user = decodeURIComponent(url.username);
    const password = decodeURIComponent(url.password);
    socket.write(user ? command('AUTH', user, password) : command('AUTH', password));
  }
  return socket;
}

function command(...args: string[]): string {
  return `*${args.length}\r\n${args.map((arg) => `$${Buffer.byteLength(arg)}\r\n${arg}\r\n`).join('')}`;
}

// A monitor line: +1700000000.123456 [0 127.0.0.1:50000] "get" "key" (Redis escapes each argument
// like a C string, so a quote or a line break never ends one early).
function parseArguments(line: string): string[] {
  return Array.from(line.matchAll(/"((?:[^"\\]|\\.)*)"/g), (match) =>
    (match[1] ?? '').replace(/\\(x[0-9a-f]{2}|.)/gi, (_, escaped: string) => {
      if (escaped.length === 3) return String.fromCharCode(parseInt(escaped.slice(1), 16));
      return ({ n: '\n', r: '\r', t: '\t', a: '\x07', b: '\b' } as Record<string, string>)[escaped] ?? escaped;
    }),
  );
}
