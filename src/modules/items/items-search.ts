// What `q` matches, in one place for every query that searches (the Prisma list, the SQL list,
// the CSV export): whole words of the item's name and description, every one of them, in
// PostgreSQL's websearch syntax ("a phrase", `or`, `-word`; other punctuation only separates
// words, never an error). The column `search` holds the words (migration
// items_full_text_search); its GIN index finds a word's rows at the same cost in ten thousand
// items as in a million (README "Performance").
//
// No prefix matching ("lam" finding "lamp"): GIN reads every row of every word with that prefix
// before it can combine them with the other words, so `row 4321 for` (`for` in every row) took
// 26 ms at 1M items against 4 ms at 10k.

/**
 * The search condition in SQL, `param` being the placeholder (`$1`...) that holds `q`. 'simple'
 * is the column's configuration (lower case, no stemming): the two must agree.
 */
export function itemSearchSql(param: string): string {
  return `search @@ websearch_to_tsquery('simple', ${param})`;
}
