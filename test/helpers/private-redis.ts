// A throwaway redis-server on a free loopback port, for tests that take Redis away (outages)
// without disturbing the shared one every other test uses. `pause()` freezes it with SIGSTOP:
// the kernel still accepts connections and buffers commands, but nothing is answered, the
// failure mode that no connection error reveals.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';

export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}

export class PrivateRedis {
  private process: ChildProcess | undefined;

  private constructor(readonly port: number) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  static async start(port?: number): Promise<PrivateRedis> {
    const redis = new PrivateRedis(port ?? (await freePort()));
    await redis.start();
    return redis;
  }

  /** (Re)starts the server on the same port, empty: nothing is persisted. */
  async start(): Promise<void> {
    const child = spawn(
      'redis-server',
      ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    this.process = child;
    await new Promise<void>((resolve, reject) => {
      let output = '';
      child.stdout!.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('Ready to accept connections')) resolve();
      });
      child.once('exit', (code) => reject(new Error(`redis-server exited (${code}): ${output}`)));
    });
  }

  /** Freezes the server: open connections stay open, new ones are accepted, nothing answers. */
  pause(): void {
    this.signal('SIGSTOP');
  }

  /** Thaws a paused server; it then answers everything it buffered meanwhile. */
  resume(): void {
    this.signal('SIGCONT');
  }

  async stop(): Promise<void> {
    const child = this.process;
    if (!child || child.exitCode !== null) return;
    this.process = undefined;
    // SIGKILL also ends a stopped (paused) process.
    child.kill('SIGKILL');
    await once(child, 'exit');
  }

  private signal(signal: NodeJS.Signals): void {
    const child = this.process;
    if (!child || child.exitCode !== null) throw new Error('redis-server is not running');
    child.kill(signal);
  }
}
