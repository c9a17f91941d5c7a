// Content sniffing for uploads: the type a client declares must agree with the file's first
// bytes. A small table rather than the `file-type` package on purpose: we only need to answer
// "is this really a PNG?" for the handful of types that have signatures, from 16 bytes we
// already hold, synchronously; `file-type` guesses among hundreds of formats and, for ZIP
// containers, answers "docx" where a client rightly declared application/zip.

interface Signature {
  offset: number;
  bytes: number[];
}

const ascii = (text: string, offset = 0): Signature => ({ offset, bytes: [...text].map((c) => c.charCodeAt(0)) });

/** Each type with a signature, and the byte patterns of which one must match (any of them). */
const SIGNATURES: Record<string, Signature[][]> = {
  'image/png': [[{ offset: 0, bytes: [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a] }]],
  'image/jpeg': [[{ offset: 0, bytes: [0xff, 0xd8, 0xff] }]],
  'image/gif': [[ascii('GIF87a')], [ascii('GIF89a')]],
  'image/webp': [[ascii('RIFF'), ascii('WEBP', 8)]],
  'image/bmp': [[ascii('BM')]],
  'image/tiff': [[{ offset: 0, bytes: [0x49, 0x49, 0x2a, 0x00] }], [{ offset: 0, bytes: [0x4d, 0x4d, 0x00, 0x2a] }]],
  'application/pdf': [[ascii('%PDF-')]],
  // Local file header, empty archive, spanned archive.
  'application/zip': [[ascii('PK\x03\x04')], [ascii('PK\x05\x06')], [ascii('PK\x07\x08')]],
  'application/gzip': [[{ offset: 0, bytes: [0x1f, 0x8b] }]],
};

/** Bytes to read before deciding. */
export const SNIFF_BYTES = 16;

/** Declared type that accepts any content: "some bytes", nothing more is claimed. */
const OPAQUE_TYPE = 'application/octet-stream';

function matches(head: Buffer, pattern: Signature[]): boolean {
  return pattern.every(({ offset, bytes }) => bytes.every((byte, i) => head[offset + i] === byte));
}

/** The signature-bearing type the bytes are, if any. */
export function detectType(head: Buffer): string | undefined {
  return Object.keys(SIGNATURES).find((type) => SIGNATURES[type]!.some((pattern) => matches(head, pattern)));
}

/**
 * True when the content may be what the client declared: a type with a signature must carry
 * it; any other type (text, JSON, CSV) must not be a recognised binary format in disguise;
 * application/octet-stream claims nothing and accepts anything.
 */
export function contentMatchesDeclaredType(declared: string, head: Buffer): boolean {
  const patterns = SIGNATURES[declared];
  if (patterns) return patterns.some((pattern) => matches(head, pattern));
  if (declared === OPAQUE_TYPE) return true;
  return detectType(head) === undefined;
}
