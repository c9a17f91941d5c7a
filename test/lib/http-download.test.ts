import { describe, expect, it } from 'vitest';
import { attachmentDisposition, ifRangeAllows, resolveRange } from '../../src/lib/http-download.js';

describe('resolveRange', () => {
  const size = 100;
  it.each([
    ['bytes=0-0', { start: 0, end: 0 }],
    ['bytes=99-99', { start: 99, end: 99 }],
    ['bytes=0-99', { start: 0, end: 99 }],
    ['bytes=10-', { start: 10, end: 99 }],
    ['bytes=-1', { start: 99, end: 99 }],
    ['bytes=-30', { start: 70, end: 99 }],
    ['bytes=-500', { start: 0, end: 99 }],
    ['bytes=90-500', { start: 90, end: 99 }],
    ['bytes = 5 - 9', { start: 5, end: 9 }],
  ])('%s is a partial range', (header, range) => {
    expect(resolveRange(header, size)).toEqual({ kind: 'partial', range });
  });

  it.each(['bytes=100-', 'bytes=100-200', 'bytes=-0', 'bytes=999999999999999999999-'])(
    '%s is unsatisfiable',
    (header) => {
      expect(resolveRange(header, size)).toEqual({ kind: 'unsatisfiable' });
    },
  );

  it('cannot satisfy any range of an empty file', () => {
    expect(resolveRange('bytes=0-', 0)).toEqual({ kind: 'unsatisfiable' });
    expect(resolveRange('bytes=-5', 0)).toEqual({ kind: 'unsatisfiable' });
  });

  it.each([undefined, '', 'bytes=', 'bytes=-', 'bytes=5-2', 'bytes=0-1,5-6', 'items=0-1', 'bytes=a-b', 'bytes=1.5-2'])(
    '%j is ignored (whole body)',
    (header) => {
      expect(resolveRange(header, size)).toEqual({ kind: 'full' });
    },
  );
});

describe('ifRangeAllows', () => {
  it('allows the range without If-Range or with the current strong ETag only', () => {
    expect(ifRangeAllows(undefined, '"abc"')).toBe(true);
    expect(ifRangeAllows('"abc"', '"abc"')).toBe(true);
    expect(ifRangeAllows('"old"', '"abc"')).toBe(false);
    expect(ifRangeAllows('W/"abc"', '"abc"')).toBe(false);
    expect(ifRangeAllows('Wed, 21 Oct 2015 07:28:00 GMT', '"abc"')).toBe(false);
  });
});

describe('attachmentDisposition', () => {
  it('gives an ASCII fallback and the exact UTF-8 name (RFC 6266)', () => {
    expect(attachmentDisposition('report.pdf')).toBe(`attachment; filename="report.pdf"; filename*=UTF-8''report.pdf`);
    expect(attachmentDisposition('Résumé 2024.pdf')).toBe(
      `attachment; filename="Resume 2024.pdf"; filename*=UTF-8''R%C3%A9sum%C3%A9%202024.pdf`,
    );
  });

  it('keeps quotes, backslashes and percent signs out of the quoted fallback', () => {
    const header = attachmentDisposition('a"b\\c%d\'e.txt');
    expect(header).toBe(`attachment; filename="a_b_c_d'e.txt"; filename*=UTF-8''a%22b%5Cc%25d%27e.txt`);
  });

  it('falls back to "download" when nothing printable is left', () => {
    expect(attachmentDisposition('日本語')).toMatch(/^attachment; filename="download"; filename\*=UTF-8''%E6%97%A5/);
  });
});
