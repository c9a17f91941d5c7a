// One CSV row -> item data, by the same rules as the API: the ItemBody schema (lengths, price
// range, tag pattern), the money rule of lib/money.ts (two decimals, the same function as the
// JSON keyword) and the service's normalize() (tax <= price, tags as a
// set). Columns: name,description,price,tax,tags (tags separated by `|`); header required. The
// read-only columns an export adds are accepted and ignored, so an export imports back as is.
import { Value } from 'typebox/value';
import { restoreCell } from '../../lib/csv-cells.js';
import { ValidationError } from '../../lib/errors.js';
import { decimalsMessage, hasAtMostDecimals, MONEY_DECIMALS } from '../../lib/money.js';
import { EXPORT_COLUMNS } from '../items/fast-paths/items-export.service.js';
import { ItemBody, type ItemData } from '../items/items.schemas.js';
import { normalize } from '../items/items.service.js';

export const CSV_COLUMNS = ['name', 'description', 'price', 'tax', 'tags'] as const;
const REQUIRED_COLUMNS = ['name', 'price'];
const isImportColumn = (column: string) => (CSV_COLUMNS as readonly string[]).includes(column);
/** What an export adds (id, ownerId, createdAt, updatedAt): an import creates new items of the importer, so it cannot set them. */
const READ_ONLY_COLUMNS = EXPORT_COLUMNS.filter((column) => !isImportColumn(column));
/** The same, lower-case like the parsed header. */
const IGNORED_COLUMNS: readonly string[] = READ_ONLY_COLUMNS.map((column) => column.toLowerCase());
const NUMBER = /^-?\d+(\.\d+)?$/;

/** Why a header is unusable, or undefined when it is fine. */
export function headerProblem(columns: string[]): string | undefined {
  const missing = REQUIRED_COLUMNS.filter((column) => !columns.includes(column));
  if (missing.length > 0)
    return `the header must name the columns ${CSV_COLUMNS.join(',')} (missing: ${missing.join(', ')})`;
  const unknown = columns.filter((column) => !isImportColumn(column) && !IGNORED_COLUMNS.includes(column));
  if (unknown.length > 0)
    return `unknown columns: ${unknown.join(', ')} (expected ${CSV_COLUMNS.join(',')}; an export's ${READ_ONLY_COLUMNS.join(',')} are ignored)`;
  return undefined;
}

export type RowResult = { ok: true; item: ItemData } | { ok: false; message: string };

export function itemFromRow(row: Record<string, string | undefined>): RowResult {
  const cell = (column: string) => (row[column] ?? '').trim();
  // Text cells of an export carry a quote against formula injection (src/lib/csv-cells.ts),
  // removed after trimming so that what followed it (a tab, say) is kept as exported. Number
  // cells are never quoted: `'-5` there is not a number.
  const text = (column: string) => restoreCell(cell(column));
  const numberProblems: string[] = [];
  const number = (column: string): number | null => {
    const raw = cell(column);
    if (raw === '') return null;
    if (!NUMBER.test(raw)) {
      numberProblems.push(`${column}: must be a number`);
      return null;
    }
    const value = Number(raw);
    // TypeBox's Value does not know the Ajv keyword of the Money schema: the same check, here.
    if (!hasAtMostDecimals(value, MONEY_DECIMALS)) numberProblems.push(`${column}: ${decimalsMessage(MONEY_DECIMALS)}`);
    return value;
  };
  const price = number('price');
  const candidate = {
    name: text('name'),
    description: text('description') || null,
    price: price ?? undefined,
    tax: number('tax'),
    tags: text('tags')
      .split('|')
      .map((tag) => tag.trim())
      .filter(Boolean),
  };
  if (price === null && numberProblems.length === 0) numberProblems.push('price: is required');
  if (numberProblems.length > 0) return { ok: false, message: numberProblems.join('; ') };
  const schemaProblems = [...Value.Errors(ItemBody, candidate)].map(
    (error) => `${fieldOf(error.instancePath, error.params)}: ${error.message}`,
  );
  if (schemaProblems.length > 0) return { ok: false, message: [...new Set(schemaProblems)].join('; ') };
  try {
    return { ok: true, item: normalize(candidate as ItemData) };
  } catch (err) {
    if (err instanceof ValidationError)
      return {
        ok: false,
        message: (err.errors ?? []).map((e) => `${e.path.replace('/body/', '')}: ${e.message}`).join('; '),
      };
    throw err;
  }
}

function fieldOf(instancePath: string, params: unknown): string {
  const path = instancePath.replace(/^\//, '').replace(/\//g, '.');
  const missing = (params as { requiredProperties?: string[] } | undefined)?.requiredProperties;
  if (!path && missing?.length) return missing.join(', ');
  return path || 'row';
}
