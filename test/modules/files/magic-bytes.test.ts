import { describe, expect, it } from 'vitest';
import { contentMatchesDeclaredType, detectType } from '../../../src/modules/files/magic-bytes.js';
import { sanitizeFilename } from '../../../src/modules/files/filenames.js';

const bytes = (...values: Array<number | string>) =>
  Buffer.concat(values.map((v) => (typeof v === 'string' ? Buffer.from(v, 'latin1') : Buffer.from([v]))));

describe('magic bytes', () => {
  it.each([
    ['image/png', bytes(0x89, 'PNG\r\n\x1a\n', 'data')],
    ['image/jpeg', bytes(0xff, 0xd8, 0xff, 0xe0, 'JFIF')],
    ['image/gif', bytes('GIF87a', 'data')],
    ['image/gif', bytes('GIF89a', 'data')],
    ['image/webp', bytes('RIFF', 0, 0, 0, 0, 'WEBPVP8 ')],
    ['application/pdf', bytes('%PDF-1.4')],
    ['application/zip', bytes('PK\x03\x04')],
    ['application/zip', bytes('PK\x05\x06', 'empty archive')],
    ['application/gzip', bytes(0x1f, 0x8b, 8)],
    ['image/tiff', bytes('II*\x00')],
  ])('recognises %s', (type, head) => {
    expect(detectType(head)).toBe(type);
    expect(contentMatchesDeclaredType(type, head)).toBe(true);
  });

  it('refuses a RIFF file that is not WebP (e.g. a WAV)', () => {
    expect(contentMatchesDeclaredType('image/webp', bytes('RIFF', 0, 0, 0, 0, 'WAVEfmt '))).toBe(false);
  });

  it('refuses text that is really a known binary format, and short or empty heads for signed types', () => {
    expect(contentMatchesDeclaredType('text/csv', bytes('%PDF-1.7'))).toBe(false);
    expect(contentMatchesDeclaredType('text/csv', bytes('a,b,c\r\n'))).toBe(true);
    expect(contentMatchesDeclaredType('image/png', bytes(0x89, 'PN'))).toBe(false);
    expect(contentMatchesDeclaredType('image/jpeg', Buffer.alloc(0))).toBe(false);
    expect(contentMatchesDeclaredType('application/octet-stream', bytes('%PDF-1.7'))).toBe(true);
  });
});

describe('sanitizeFilename', () => {
  it('keeps a display name and nothing that acts as a path', () => {
    expect(sanitizeFilename('C:\\Users\\me\\photo.JPG')).toBe('photo.JPG');
    expect(sanitizeFilename('...')).toBe('file');
    expect(sanitizeFilename(undefined)).toBe('file');
    expect(sanitizeFilename('  spaced name.txt  ')).toBe('spaced name.txt');
    expect(sanitizeFilename('e\u0301.txt')).toBe('\u00e9.txt');
    expect([...sanitizeFilename(`${'🙂'.repeat(300)}.txt`)]).toHaveLength(255);
  });
});
