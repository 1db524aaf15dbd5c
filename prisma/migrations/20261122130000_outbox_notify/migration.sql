-- Wake the outbox relay as soon as a change commits (NOTIFY is delivered at commit), so change
-- latency does not depend on a polling interval. The relay still polls as a fallback.
CREATE OR REPLACE FUNCTION hub_outbox_notify() RETURNS trigger AS $$
BEGIN
  PERFORM pg_notify('hub_outbox', '');
  RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER outbox_notify
  AFTER INSERT ON "outbox"
  FOR EACH STATEMENT EXECUTE FUNCTION hub_outbox_notify();

-- The relay reads unrelayed rows in sequence order.
CREATE INDEX "outbox_unrelayed_seq_idx" ON "outbox" ("seq") WHERE "relayed_at" IS NULL;
