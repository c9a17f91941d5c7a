// Money: an amount with at most two decimals, the scale of the numeric(12,2) columns. One rule for
// JSON bodies (an Ajv keyword on the Money schema) and CSV imports (the same function).
//
// `multipleOf: 0.01` cannot say this: it divides binary floats, and 19.99 / 0.01 is
// 1998.9999999999998, so Ajv refused 19.99, 0.07 or 1.15. Counting the digits of the number's
// decimal form is exact instead: `String(n)` is the shortest decimal that reads back as the same
// double (ECMAScript Number::toString), so a JSON value with at most 15 significant digits (every
// amount up to the 1e9 maximum with two decimals has 12) is seen with exactly the digits the
// client wrote, and 19.999 has three decimals, whatever the float arithmetic would say.
import type { KeywordDefinition, SchemaValidateFunction } from 'ajv';
import { Type, type TNumber } from 'typebox';

/** Decimals of every amount: numeric(12,2). */
export const MONEY_DECIMALS = 2;
/** Largest amount the API accepts (the columns hold up to 9,999,999,999.99). */
export const MONEY_MAX = 1_000_000_000;

/** The schema keyword (an OpenAPI `x-` extension, so linters and other validators ignore it). */
export const DECIMALS_KEYWORD = 'x-decimal-places';

/** Digits after the decimal point of a finite number's shortest decimal form (1e-7 has 7). */
export function decimalPlaces(value: number): number {
  const [mantissa = '', exponent = '0'] = String(Math.abs(value)).split('e');
  const fraction = mantissa.split('.')[1]?.length ?? 0;
  return Math.max(0, fraction - Number(exponent));
}

/** True when `value` has at most `places` decimals (two for money). */
export function hasAtMostDecimals(value: number, places = MONEY_DECIMALS): boolean {
  return Number.isFinite(value) && decimalPlaces(value) <= places;
}

export const decimalsMessage = (places: number) => `must have at most ${places} decimals`;

/**
 * Registers the `x-decimal-places` keyword on an Ajv instance: Fastify's (app.ts, `ajv.plugins`)
 * and any other that must validate the same schemas (the contract tests).
 */
export function ajvDecimalPlaces<A extends { addKeyword(definition: KeywordDefinition): unknown }>(ajv: A): A {
  const validate: SchemaValidateFunction = (places: number, data: number) => {
    const ok = hasAtMostDecimals(data, places);
    validate.errors = ok
      ? undefined
      : [{ keyword: DECIMALS_KEYWORD, message: decimalsMessage(places), params: { places } }];
    return ok;
  };
  ajv.addKeyword({ keyword: DECIMALS_KEYWORD, type: 'number', schemaType: 'number', errors: true, validate });
  return ajv;
}

/** An amount of money: more than `exclusiveMinimum` (or at least `minimum`), up to MONEY_MAX, two decimals. */
export function Money(options: { exclusiveMinimum?: number; minimum?: number; description: string }): TNumber {
  return Type.Number({ maximum: MONEY_MAX, ...options, [DECIMALS_KEYWORD]: MONEY_DECIMALS });
}
