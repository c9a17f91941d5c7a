// Fast path, the streamed export: bounds on what CSV exports may hold. The export is anonymous and each one keeps a database
// connection for as long as its client reads (the COPY streams at the client's pace):
// - at most `maxConcurrent` exports run at once per process (on their own pool, see
//   src/db/export-pool.ts); one more is refused at once with 503 and Retry-After;
// - an export whose client takes nothing for `stallTimeoutMs` is cut: the stream is destroyed,
//   which drops its connection and with it the COPY.
import { Transform, type TransformCallback } from 'node:stream';

/** A client that stopped reading: the export was cut to free its database connection. */
export class ExportStalledError extends Error {
  override name = 'ExportStalledError';
  readonly code = 'ERR_EXPORT_STALLED';

  constructor(readonly timeoutMs: number) {
    super(`the client read nothing for ${timeoutMs} ms: export cut`);
  }
}

/**
 * Passes bytes through and fails when none has passed for `timeoutMs`. Bytes move only when the
 * next stage takes them, so with backpressure this measures the client's reading: the timer
 * restarts each time the socket accepted a chunk.
 */
export class StallGuard extends Transform {
  private timer: NodeJS.Timeout;

  constructor(private readonly timeoutMs: number) {
    super();
    this.timer = this.arm();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.timer.refresh();
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    clearTimeout(this.timer);
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    clearTimeout(this.timer);
    callback(error);
  }

  private arm(): NodeJS.Timeout {
    const timer = setTimeout(() => this.destroy(new ExportStalledError(this.timeoutMs)), this.timeoutMs);
    timer.unref();
    return timer;
  }
}

/** Counts running exports; `tryAcquire` refuses beyond the limit instead of waiting. */
export class ExportSlots {
  private running = 0;

  constructor(readonly max: number) {}

  get inUse(): number {
    return this.running;
  }

  /** A release function (safe to call twice), or undefined when every slot is taken. */
  tryAcquire(): (() => void) | undefined {
    if (this.running >= this.max) return undefined;
    this.running += 1;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.running -= 1;
    };
  }
}
