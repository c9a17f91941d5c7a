// Reads the first bytes of a stream without losing them: the caller inspects the head (magic
// bytes) and then consumes a stream that replays it followed by the rest, still pulled lazily
// so backpressure reaches the original source.
import { Readable } from 'node:stream';

export interface PeekedStream {
  /** Up to `bytes` first bytes (fewer only when the stream is shorter). */
  head: Buffer;
  /** The whole content again, head included. */
  stream: Readable;
  /** Stops the source when the caller decides not to read the rest. */
  discard(): void;
}

export async function peekHead(source: AsyncIterable<Uint8Array>, bytes: number): Promise<PeekedStream> {
  const iterator = source[Symbol.asyncIterator]();
  const chunks: Buffer[] = [];
  let length = 0;
  let done = false;
  while (length < bytes) {
    const next = await iterator.next();
    if (next.done) {
      done = true;
      break;
    }
    const chunk = Buffer.from(next.value.buffer, next.value.byteOffset, next.value.byteLength);
    chunks.push(chunk);
    length += chunk.length;
  }
  const buffered = Buffer.concat(chunks);

  async function* replay(): AsyncGenerator<Buffer> {
    try {
      if (buffered.length > 0) yield buffered;
      while (!done) {
        const next = await iterator.next();
        if (next.done) done = true;
        else yield Buffer.from(next.value.buffer, next.value.byteOffset, next.value.byteLength);
      }
    } finally {
      // Reached when the consumer stops early (a limit, an error): stop the source as well.
      if (!done) await iterator.return?.();
    }
  }

  return {
    head: buffered.subarray(0, bytes),
    stream: Readable.from(replay(), { objectMode: false }),
    discard: () => void iterator.return?.(),
  };
}
