-- The representation stamp a link's pushed state was built under (ADR 0702): a reconciliation
-- compares a clean link's object with its pushed state instead of reading the golden record.
ALTER TABLE "target_links" ADD COLUMN "pushed_stamp" TEXT;

-- Read back as stored: `jsonb` is converted to text on every read, and a reconciliation reads
-- the pushed state of every object it compares.
ALTER TABLE "target_links" ALTER COLUMN "pushed_state" SET DATA TYPE JSON USING "pushed_state"::json;
