-- CreateTable
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

-- CreateIndex
CREATE INDEX "engine_match_keys_resource_id_idx" ON "engine_match_keys"("resource_id");

-- CreateIndex
CREATE INDEX "correlation_cases_tenant_id_status_created_at_idx" ON "correlation_cases"("tenant_id", "status", "created_at");

-- CreateIndex
CREATE INDEX "correlation_cases_contribution_id_idx" ON "correlation_cases"("contribution_id");

-- CreateIndex
CREATE INDEX "recompute_runs_tenant_id_created_at_idx" ON "recompute_runs"("tenant_id", "created_at");


