// The formula-injection rule of CSV text cells: every dangerous start gets one quote, the
// import removes exactly that quote, and the SQL rule used by the COPY export is the same one.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { neutralizeCell, restoreCell } from '../../src/lib/csv-cells.js';
import { itemFromRow } from '../../src/modules/imports/csv-items.js';

const DANGEROUS = ['=', '+', '-', '@', '\t', '\r'];
/** Strings built from the interesting pieces (quotes, each dangerous character) and anything else. */
const cells = fc
  .array(fc.oneof(fc.constantFrom("'", ...DANGEROUS, ' ', 'a', '1'), fc.string({ maxLength: 4 })), { maxLength: 6 })
  .map((parts) => parts.join(''));

describe('neutralizeCell / restoreCell', () => {
  it('prefixes a quote exactly when a spreadsheet would read a formula', () => {
    expect(neutralizeCell('=1+1')).toBe("'=1+1");
    expect(neutralizeCell('+33 1 23')).toBe("'+33 1 23");
    expect(neutralizeCell('-2+3')).toBe("'-2+3");
    expect(neutralizeCell('@SUM(A1)')).toBe("'@SUM(A1)");
    expect(neutralizeCell('\t=cmd')).toBe("'\t=cmd");
    expect(neutralizeCell('\rx')).toBe("'\rx");
    // Already quoted-looking values keep their meaning: one more quote.
    expect(neutralizeCell("'=x")).toBe("''=x");
    for (const safe of ['plain', 'a=b', ' =x', "'", "'plain", '', '(untagged)'])
      expect(neutralizeCell(safe)).toBe(safe);
  });

  it('round-trips every string, and never leaves a dangerous first character', () => {
    fc.assert(
      fc.property(cells, (value) => {
        const written = neutralizeCell(value);
        expect(restoreCell(written)).toBe(value);
        expect(DANGEROUS).not.toContain(written[0]);
      }),
      { numRuns: 2000 },
    );
  });

  it('restores only a quote that precedes a dangerous character', () => {
    expect(restoreCell("'=x")).toBe('=x');
    expect(restoreCell("''-x")).toBe("'-x");
    expect(restoreCell("'plain")).toBe("'plain");
    expect(restoreCell("'")).toBe("'");
  });
});

describe('itemFromRow', () => {
  it('restores text cells, and leaves number cells alone (a quoted number is not a number)', () => {
    expect(itemFromRow({ name: "'=HYPERLINK(1)", description: "'-note", price: '5', tags: "'-a|b" })).toEqual({
      ok: true,
      item: { name: '=HYPERLINK(1)', description: '-note', price: 5, tax: null, tags: ['-a', 'b'] },
    });
    expect(itemFromRow({ name: 'x', price: "'5" })).toEqual({ ok: false, message: 'price: must be a number' });
    expect(itemFromRow({ name: 'x', price: '5', tax: "'-1" })).toEqual({ ok: false, message: 'tax: must be a number' });
  });
});
