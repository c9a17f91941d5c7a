// A real process of the project (api or worker, run from source through tsx) whose output the
// tests read, and which they can signal by pid (worker-process test, fault suite).
import { spawn, type ChildProcess } from 'node:child_process';
import { expect, vi } from 'vitest';

export class ChildProcessHandle {
  output = '';
  private readonly child: ChildProcess;
  private exitInfo: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  private readonly exitedPromise: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  private constructor(child: ChildProcess) {
    this.child = child;
    const collect = (chunk: Buffer) => (this.output += chunk.toString());
    child.stdout!.on('data', collect);
    child.stderr!.on('data', collect);
    this.exitedPromise = new Promise((resolve) =>
      child.once('exit', (code, signal) => {
        this.exitInfo = { code, signal };
        resolve(this.exitInfo);
      }),
    );
  }

  /**
   * `node --import tsx <entry>` with exactly `env` (plus PATH), in the project folder; `preloads`
   * are more `--import`s after tsx's (the telemetry preload).
   */
  static spawnTs(entry: string, env: Record<string, string>, preloads: string[] = []): ChildProcessHandle {
    const imports = preloads.flatMap((preload) => ['--import', preload]);
    const child = spawn(process.execPath, ['--import', 'tsx', ...imports, entry], {
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return new ChildProcessHandle(child);
  }

  get pid(): number {
    return this.child.pid!;
  }

  get exited(): boolean {
    return this.exitInfo !== undefined;
  }

  async waitForOutput(text: string | RegExp, timeout = 30_000): Promise<void> {
    await vi.waitFor(
      () => {
        if (this.exitInfo)
          throw new Error(`process exited (${JSON.stringify(this.exitInfo)}): ${this.output.slice(-2000)}`);
        expect(this.output).toMatch(text);
      },
      { timeout, interval: 50 },
    );
  }

  /** Signals the process and waits for it to exit. */
  async kill(signal: NodeJS.Signals = 'SIGTERM'): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (!this.exitInfo) this.child.kill(signal);
    return this.exitedPromise;
  }

  waitForExit(): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    return this.exitedPromise;
  }
}
