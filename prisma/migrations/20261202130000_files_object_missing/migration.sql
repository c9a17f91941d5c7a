-- The storage sweep marks a row whose object is missing (a lost bucket, a restore from an older
-- backup) instead of deleting it: a person decides what to do with the metadata.
-- AlterTable
ALTER TABLE "files" ADD COLUMN     "object_missing_at" TIMESTAMP(3);
