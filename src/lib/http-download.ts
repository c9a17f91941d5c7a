// HTTP pieces of serving stored bytes: single byte ranges (RFC 9110 14), the attachment
// Content-Disposition with an RFC 6266 / RFC 8187 `filename*`, and 304 answers. Pure functions
// (but the last), so every edge case is tested without a server.
import type { FastifyReply } from 'fastify';

/** Inclusive byte range, as in HTTP `Range: bytes=start-end` (storage reads take the same). */
export interface ByteRange {
  start: number;
  end: number;
}

/**
 * 304 Not Modified (RFC 9110 15.4.5): no body, and no content headers of its own. Sending
 * `null` would serialize as `null` with `Content-Type: application/json` and
 * `Content-Length: 4`; sending nothing leaves only the validators (ETag, Cache-Control...).
 */
export function sendNotModified(reply: FastifyReply): FastifyReply {
  reply.removeHeader('content-type');
  reply.removeHeader('content-length');
  return reply.code(304).send();
}

export type RangeResult =
  /** No usable Range: send the whole representation (also for multi-range and malformed headers). */
  | { kind: 'full' }
  | { kind: 'partial'; range: ByteRange }
  /** Syntactically valid but no byte of it exists: 416 with `Content-Range: bytes *\/size`. */
  | { kind: 'unsatisfiable' };

const SINGLE_RANGE = /^bytes=(\d*)-(\d*)$/;

/**
 * Resolves a `Range` header against a representation of `size` bytes. Only one range is
 * honoured; a list of ranges or an unknown unit is ignored (answering 200 with the whole body
 * is always allowed), which avoids multipart/byteranges and range-amplification abuse.
 */
export function resolveRange(header: string | undefined, size: number): RangeResult {
  if (!header) return { kind: 'full' };
  const match = SINGLE_RANGE.exec(header.replace(/\s+/g, ''));
  if (!match) return { kind: 'full' };
  const [, first = '', last = ''] = match;
  if (first === '' && last === '') return { kind: 'full' };

  if (first === '') {
    // Suffix range: the last N bytes. "-0" asks for nothing, which cannot be satisfied.
    const length = Number(last);
    if (length === 0 || size === 0) return { kind: 'unsatisfiable' };
    return { kind: 'partial', range: { start: Math.max(0, size - length), end: size - 1 } };
  }

  const start = Number(first);
  const end = last === '' ? size - 1 : Number(last);
  if (last !== '' && end < start) return { kind: 'full' }; // invalid syntax: ignore the header
  if (start >= size) return { kind: 'unsatisfiable' };
  return { kind: 'partial', range: { start, end: Math.min(end, size - 1) } };
}

/**
 * `If-Range` lets a client resume only if the representation is unchanged: with a strong
 * ETag it must match exactly, otherwise the whole body is sent. Dates are not used (our
 * validator is the content hash).
 */
export function ifRangeAllows(header: string | undefined, etag: string): boolean {
  return header === undefined || header.trim() === etag;
}

/**
 * `attachment; filename="<ascii fallback>"; filename*=UTF-8''<percent-encoded>` (RFC 6266):
 * old clients read the ASCII fallback, current ones the exact UTF-8 name. Quotes, backslashes
 * and control characters never reach the quoted string, so the header cannot be broken.
 */
export function attachmentDisposition(filename: string): string {
  const fallback =
    filename
      .normalize('NFKD')
      .replace(/[^\x20-\x7e]/g, '')
      .replace(/["\\%]/g, '_')
      .trim() || 'download';
  const encoded = encodeURIComponent(filename).replace(
    /['()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  return `attachment; filename="${fallback}"; filename*=UTF-8''${encoded}`;
}
