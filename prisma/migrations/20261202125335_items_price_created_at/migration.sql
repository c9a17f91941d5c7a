-- A price range listed newest first (or by name): the page's keys come from this index alone
-- (fast-paths/items-sql-list.repository.ts). Plain CREATE INDEX blocks writes to items while it
-- runs (2 s at 1M rows here): on a large live table use CREATE INDEX CONCURRENTLY by hand, then
-- `migrate resolve --applied` (README "Indexes of the item list").
-- CreateIndex
CREATE INDEX "items_price_created_at_id_idx" ON "items"("price", "created_at" DESC, "id" DESC);
