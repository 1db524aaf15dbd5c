import type { Db } from '../db';

/**
 * The engine's tables (ADR 0203) while their migration waits for prisma/schema.prisma to be free
 * (schema gating): tests and benchmarks create them when missing. Once the migration is in
 * prisma/migrations this finds them and does nothing; then delete it and its callers.
 */
export async function ensureEngineTables(db: Db): Promise<void> {
  const found = await db.$queryRawUnsafe<unknown[]>(
    `SELECT 1 FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = 'engine_rule_sets'`,
  );
  if (found.length > 0) return;
  for (const statement of ENGINE_DDL.split(/;\s*\n/).filter((s) => s.replace(/--.*$/gm, '').trim()))
    await db.$executeRawUnsafe(statement);
}

const ENGINE_DDL = `-- CreateTable
CREATE TABLE "engine_rule_sets" (
    "tenant_id" UUID NOT NULL,
    "resource_type" TEXT NOT NULL,
    "authority" JSONB NOT NULL,
    "correlation" JSONB NOT NULL,
    "lifecycle" JSONB,
    "revision" INTEGER NOT NULL DEFAULT 1,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "engine_rule_sets_pkey" PRIMARY KEY ("tenant_id","resource_type")
);

-- CreateTable
CREATE TABLE "resource_provenance" (
    "resource_id" UUID NOT NULL,
    "tenant_id" UUID NOT NULL,
    "entries" JSONB NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "resource_provenance_pkey" PRIMARY KEY ("resource_id")
);

-- CreateTable
CREATE TABLE "engine_match_keys" (
    "tenant_id" UUID NOT NULL,
    "resource_type" TEXT NOT NULL,
    "matcher" TEXT NOT NULL,
    "value" TEXT NOT NULL,
    "resource_id" UUID NOT NULL,

    CONSTRAINT "engine_match_keys_pkey" PRIMARY KEY ("tenant_id","resource_type","matcher","value","resource_id")
);

-- CreateTable
CREATE TABLE "correlation_cases" (
    "id" UUID NOT NULL,
    "tenant_id" UUID NOT NULL,
    "resource_type" TEXT NOT NULL,
    "contribution_id" UUID NOT NULL,
    "candidates" UUID[],
    "rule" INTEGER NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'open',
    "resolved_by" TEXT,
    "resolved_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "correlation_cases_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "recompute_runs" (
    "id" UUID NOT NULL,
    "tenant_id" UUID NOT NULL,
    "resource_type" TEXT NOT NULL,
    "revision" INTEGER NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'queued',
    "total" INTEGER NOT NULL DEFAULT 0,
    "processed" INTEGER NOT NULL DEFAULT 0,
    "changed" INTEGER NOT NULL DEFAULT 0,
    "cursor" UUID,
    "error" TEXT,
    "started_at" TIMESTAMPTZ(3),
    "finished_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "recompute_runs_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "resource_provenance_tenant_id_idx" ON "resource_provenance"("tenant_id");
CREATE INDEX "engine_match_keys_resource_id_idx" ON "engine_match_keys"("resource_id");
CREATE INDEX "correlation_cases_tenant_id_status_created_at_idx" ON "correlation_cases"("tenant_id", "status", "created_at");
CREATE INDEX "correlation_cases_contribution_id_idx" ON "correlation_cases"("contribution_id");
CREATE INDEX "recompute_runs_tenant_id_created_at_idx" ON "recompute_runs"("tenant_id", "created_at");
`;
