// Child processes of the native nginx harnesses (check:deploy's nginx log check, tools/topology,
// tools/faults): started with their output kept in memory (and in a log file), stopped by process
// id. Nothing is left running: stopAll() signals every pid it started and escalates to SIGKILL
// after a grace period.
import { spawn } from 'node:child_process';
import { closeSync, createWriteStream, openSync, readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';

/** A port the kernel just handed out on 127.0.0.1 (free at the time of the call). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `probe` until it returns a truthy value; throws with `what` after `timeoutMs`. */
export async function waitFor(what, probe, timeoutMs = 30_000, intervalMs = 200) {
  const deadline = Date.now() + timeoutMs;
  let lastError;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value) return value;
    } catch (err) {
      lastError = err;
    }
    await sleep(intervalMs);
  }
  throw new Error(`timed out waiting for ${what}${lastError ? ` (${lastError.message})` : ''}`);
}

export class ProcessGroup {
  /** @param {string} logDir where each process's output is written as <name>.log */
  constructor(logDir) {
    this.logDir = logDir;
    /** @type {Map<string, {child: import('node:child_process').ChildProcess, lines: string[], exited: Promise<{code: number|null, signal: string|null}>}>} */
    this.procs = new Map();
  }

  /**
   * `outputToFile`: stdout and stderr go straight to <name>.log instead of a pipe (nginx opens
   * /dev/stdout itself, which fails on the socket pair Node uses for pipes); `lines` stays empty.
   */
  start(name, command, args, { env, cwd, outputToFile = false } = {}) {
    const logPath = path.join(this.logDir, `${name}.log`);
    if (outputToFile) {
      const fd = openSync(logPath, 'a');
      const child = spawn(command, args, { cwd, env, stdio: ['ignore', fd, fd] });
      closeSync(fd);
      return this.track(name, child, []);
    }
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const file = createWriteStream(logPath);
    const lines = [];
    let partial = '';
    const collect = (chunk) => {
      file.write(chunk);
      const text = partial + chunk.toString('utf8');
      const parts = text.split('\n');
      partial = parts.pop() ?? '';
      lines.push(...parts);
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.on('exit', () => file.end());
    return this.track(name, child, lines);
  }

  track(name, child, lines) {
    const exited = new Promise((resolve) => {
      child.on('exit', (code, signal) => resolve({ code, signal }));
      child.on('error', (err) => {
        lines.push(`spawn error: ${err.message}`);
        resolve({ code: -1, signal: null });
      });
    });
    const proc = { child, lines, exited, exitInfo: undefined };
    exited.then((info) => (proc.exitInfo = info));
    this.procs.set(name, proc);
    return proc;
  }

  get(name) {
    return this.procs.get(name);
  }

  /** Runs a command to completion; rejects with its output when it fails. */
  async run(name, command, args, options) {
    const proc = this.start(name, command, args, options);
    const { code, signal } = await proc.exited;
    if (code !== 0) {
      const output =
        proc.lines.length > 0 ? proc.lines : readFileSync(path.join(this.logDir, `${name}.log`), 'utf8').split('\n');
      throw new Error(`${name} failed (code ${code}, signal ${signal}):\n${output.slice(-30).join('\n')}`);
    }
    return proc.lines;
  }

  /** Sends `signal` to one process by pid and waits for it to exit (SIGKILL after graceMs). */
  async stop(name, signal = 'SIGTERM', graceMs = 15_000) {
    const proc = this.procs.get(name);
    if (!proc || proc.exitInfo) return proc?.exitInfo;
    process.kill(proc.child.pid, signal);
    const timer = setTimeout(() => {
      if (!proc.exitInfo) process.kill(proc.child.pid, 'SIGKILL');
    }, graceMs);
    const info = await proc.exited;
    clearTimeout(timer);
    return info;
  }

  /** Stops every process (at once), but those named in `except`. */
  async stopAll({ except = [] } = {}) {
    const running = [...this.procs.keys()].reverse().filter((name) => !except.includes(name));
    await Promise.all(running.map((name) => this.stop(name).catch(() => undefined)));
  }
}
