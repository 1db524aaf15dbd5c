-- Identifiers another system minted (a target's object id, a source's key and externalId) compare
-- byte for byte (ADR 0703): equality is the same under every deterministic collation, and no one
-- reads them in a language's sort order. Under the database's collation every index comparison
-- went through the locale (`strcoll`): a reconciliation page looks up 500 remote ids at once, and
-- with C.UTF-8 that was two thirds of its statement; under en_US.UTF-8 it costs more again.
-- Changing a text column's collation keeps the rows as they are and rebuilds the indexes on it.
ALTER TABLE "target_links" ALTER COLUMN "remote_id" SET DATA TYPE TEXT COLLATE "C";
ALTER TABLE "contributions" ALTER COLUMN "source_key" SET DATA TYPE TEXT COLLATE "C";
ALTER TABLE "contributions" ALTER COLUMN "external_id" SET DATA TYPE TEXT COLLATE "C";
