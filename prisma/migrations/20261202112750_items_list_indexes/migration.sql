-- Search (`q`) uses trigram GIN indexes: pg_trgm ships with PostgreSQL (contrib) and is a
-- trusted extension, so the migrating role needs only CREATE on the database.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- DropIndex
DROP INDEX "items_created_at_idx";

-- DropIndex
DROP INDEX "items_name_idx";

-- DropIndex
DROP INDEX "items_price_idx";

-- CreateIndex
CREATE INDEX "items_created_at_id_idx" ON "items"("created_at" DESC, "id" DESC);

-- CreateIndex
CREATE INDEX "items_price_id_idx" ON "items"("price", "id");

-- CreateIndex
CREATE INDEX "items_name_id_idx" ON "items"("name", "id");

-- CreateIndex
CREATE INDEX "items_name_trgm_idx" ON "items" USING GIN ("name" gin_trgm_ops);

-- CreateIndex
CREATE INDEX "items_description_trgm_idx" ON "items" USING GIN ("description" gin_trgm_ops);
