// What `q` matches, in one place for every query that searches (the Prisma list, the SQL list,
// the CSV export): the words of the item's name and description. The column `search` and the
// function `items_search_query` are the migration items_full_text_search's; a GIN index on
// `search` finds the matches, at the same cost for a rare word in ten thousand items as in a
// million (README "Performance").

/** The search condition in SQL, `param` being the placeholder (`$1`...) that holds `q`. */
export function itemSearchSql(param: string): string {
  return `search @@ items_search_query(${param})`;
}
