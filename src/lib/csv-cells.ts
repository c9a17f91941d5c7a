// CSV formula injection (OWASP "CSV Injection"): a spreadsheet opening a CSV runs a text cell
// that starts with `=`, `+`, `-`, `@`, a tab or a carriage return as a formula. Exports prefix
// such text cells with a single quote, which spreadsheets show as plain text; imports remove
// exactly that quote again, so an export imports back unchanged.
//
// A value that already starts with quotes followed by one of those characters (`'=x`) gets one
// more quote too: otherwise the import could not tell it from an escaped `=x`. With that rule
// the mapping is reversible: restoreCell(neutralizeCell(v)) === v for every string v.
// Only text columns go through this: numbers (a price of -5) and dates are written as they are.

const NEEDS_QUOTE = /^'*[=+\-@\t\r]/;
const ADDED_QUOTE = /^'(?='*[=+\-@\t\r])/;

/** The same test as NEEDS_QUOTE, as a PostgreSQL regular expression literal (for SQL-rendered CSV). */
export const NEEDS_QUOTE_SQL = String.raw`'^''*[-=+@\t\r]'`;

/** The text cell as it should be written to a CSV file. */
export function neutralizeCell(value: string): string {
  return NEEDS_QUOTE.test(value) ? `'${value}` : value;
}

/** The value a neutralized cell stood for: strips the one quote `neutralizeCell` added. */
export function restoreCell(cell: string): string {
  return ADDED_QUOTE.test(cell) ? cell.slice(1) : cell;
}

/** SQL expression of a text column, neutralized the same way (NULL stays NULL). */
export function neutralizeSql(expression: string): string {
  return `CASE WHEN ${expression} ~ ${NEEDS_QUOTE_SQL} THEN '''' || ${expression} ELSE ${expression} END`;
}
