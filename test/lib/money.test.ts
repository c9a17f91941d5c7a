// The money rule (at most two decimals) is exact: every cent amount passes, every amount with a
// third decimal fails, where `multipleOf: 0.01` on binary floats refused 19.99, 0.07 and 1.15.
import { Ajv } from 'ajv';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ajvDecimalPlaces, decimalPlaces, hasAtMostDecimals, MONEY_MAX } from '../../src/lib/money.js';
import { Price } from '../../src/modules/items/items.schemas.js';

describe('decimalPlaces', () => {
  it.each([
    [19.99, 2],
    [0.07, 2],
    [1.15, 2],
    [12.34, 2],
    [100, 0],
    [0.1, 1],
    [19.999, 3],
    [1e-7, 7],
    [1.5e-10, 11],
    [1e21, 0],
    [-0.05, 2],
  ])('%d has %d decimals', (value, places) => {
    expect(decimalPlaces(value)).toBe(places);
  });

  it('accepts every cent amount up to the maximum and refuses every amount with a third decimal', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: MONEY_MAX * 100 }), (cents) => {
        expect(hasAtMostDecimals(Number(`${Math.trunc(cents / 100)}.${String(cents % 100).padStart(2, '0')}`))).toBe(
          true,
        );
      }),
      { numRuns: 5000 },
    );
    fc.assert(
      fc.property(fc.integer({ min: 0, max: MONEY_MAX * 100 - 1 }), fc.integer({ min: 1, max: 9 }), (cents, mills) => {
        const text = `${Math.trunc(cents / 100)}.${String(cents % 100).padStart(2, '0')}${mills}`;
        expect(hasAtMostDecimals(Number(text)), text).toBe(false);
      }),
      { numRuns: 5000 },
    );
  });

  it('refuses what is not a finite number', () => {
    expect(hasAtMostDecimals(Number.NaN)).toBe(false);
    expect(hasAtMostDecimals(Number.POSITIVE_INFINITY)).toBe(false);
  });
});

describe('the x-decimal-places Ajv keyword', () => {
  const validate = ajvDecimalPlaces(new Ajv({ allErrors: true })).compile(Price);

  it('passes 19.99, 0.07 and 1.15 (multipleOf: 0.01 refused them) and refuses 19.999', () => {
    expect([19.99, 0.07, 1.15, 12.34, 1_000_000_000].map((value) => validate(value))).toEqual([
      true,
      true,
      true,
      true,
      true,
    ]);
    expect(validate(19.999)).toBe(false);
    expect(validate.errors).toEqual([
      expect.objectContaining({ keyword: 'x-decimal-places', message: 'must have at most 2 decimals' }),
    ]);
  });
});
