-- Search (`q`) matches words instead of substrings: a full-text index stays as fast at a
-- million items as at ten thousand, where the trigram indexes it replaces slowed down with the
-- table (README "Performance"). Created with `prisma migrate dev --create-only`, then edited:
-- Prisma has no syntax for a generated column.

-- DropIndex
DROP INDEX "items_description_trgm_idx";

-- DropIndex
DROP INDEX "items_name_trgm_idx";

-- Nothing else uses trigrams.
DROP EXTENSION IF EXISTS pg_trgm;

-- AlterTable: the words of the name and the description, computed by PostgreSQL on every write.
-- The 'simple' configuration lower-cases words and keeps them whole: no language's stemming or
-- stop words (use 'english', say, for "lamps" to find "lamp" by its stem). Adding the column
-- rewrites the table once, under a lock: on a large live table, add it in a quiet moment.
ALTER TABLE "items" ADD COLUMN "search" tsvector
  GENERATED ALWAYS AS (to_tsvector('simple', "name" || ' ' || coalesce("description", ''))) STORED;

-- CreateIndex
CREATE INDEX "items_search_idx" ON "items" USING GIN ("search");
