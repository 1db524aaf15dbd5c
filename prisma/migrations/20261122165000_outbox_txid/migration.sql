-- AlterTable
ALTER TABLE "outbox" ADD COLUMN     "txid" xid8 DEFAULT pg_current_xact_id();

-- CreateIndex
CREATE INDEX "outbox_tenant_id_resource_type_txid_idx" ON "outbox"("tenant_id", "resource_type", "txid");


