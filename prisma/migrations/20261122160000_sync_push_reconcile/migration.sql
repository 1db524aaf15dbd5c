-- CreateTable
CREATE TABLE "sync_runs" (
    "id" UUID NOT NULL,
    "tenant_id" UUID NOT NULL,
    "source_id" UUID NOT NULL,
    "mode" TEXT NOT NULL,
    "trigger" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'queued',
    "pages" INTEGER NOT NULL DEFAULT 0,
    "seen" INTEGER NOT NULL DEFAULT 0,
    "created" INTEGER NOT NULL DEFAULT 0,
    "updated" INTEGER NOT NULL DEFAULT 0,
    "unchanged" INTEGER NOT NULL DEFAULT 0,
    "deleted" INTEGER NOT NULL DEFAULT 0,
    "failed" INTEGER NOT NULL DEFAULT 0,
    "failures" JSONB NOT NULL DEFAULT '[]',
    "held_deletions" JSONB,
    "next_cursor" JSONB,
    "error" TEXT,
    "started_at" TIMESTAMPTZ(3),
    "finished_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "sync_runs_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "targets" (
    "id" UUID NOT NULL,
    "tenant_id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "base_url" TEXT NOT NULL,
    "auth" JSONB NOT NULL DEFAULT '{"kind":"none"}',
    "secrets" BYTEA,
    "tls" JSONB NOT NULL DEFAULT '{}',
    "capabilities" JSONB,
    "capability_overrides" JSONB NOT NULL DEFAULT '{}',
    "dialect" JSONB,
    "resource_types" JSONB NOT NULL DEFAULT '{}',
    "rate_limit" INTEGER NOT NULL DEFAULT 50,
    "concurrency" INTEGER NOT NULL DEFAULT 4,
    "deletion_threshold" JSONB NOT NULL DEFAULT '{"share":0.2,"windowMinutes":60,"minimum":10}',
    "enabled" BOOLEAN NOT NULL DEFAULT true,
    "state" TEXT NOT NULL DEFAULT 'active',
    "state_reason" TEXT,
    "state_since" TIMESTAMPTZ(3),
    "next_probe_at" TIMESTAMPTZ(3),
    "probe_failures" INTEGER NOT NULL DEFAULT 0,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "targets_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "target_links" (
    "id" UUID NOT NULL,
    "tenant_id" UUID NOT NULL,
    "target_id" UUID NOT NULL,
    "resource_id" UUID NOT NULL,
    "resource_type" TEXT NOT NULL,
    "remote_id" TEXT,
    "pushed_state" JSONB,
    "pushed_hash" TEXT,
    "pushed_version" INTEGER,
    "desired_version" INTEGER NOT NULL DEFAULT 0,
    "status" TEXT NOT NULL DEFAULT 'pending',
    "last_error" TEXT,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "last_pushed_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "target_links_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "target_memberships" (
    "target_id" UUID NOT NULL,
    "group_id" UUID NOT NULL,
    "member_id" UUID NOT NULL,

    CONSTRAINT "target_memberships_pkey" PRIMARY KEY ("target_id","group_id","member_id")
);

-- CreateTable
CREATE TABLE "push_log" (
    "id" BIGSERIAL NOT NULL,
    "tenant_id" UUID NOT NULL,
    "target_id" UUID NOT NULL,
    "resource_id" UUID NOT NULL,
    "resource_type" TEXT NOT NULL,
    "label" TEXT,
    "action" TEXT NOT NULL,
    "method" TEXT,
    "path" TEXT,
    "status" INTEGER,
    "outcome" TEXT NOT NULL,
    "detail" JSONB,
    "duration_ms" INTEGER,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "push_log_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "reconcile_runs" (
    "id" UUID NOT NULL,
    "tenant_id" UUID NOT NULL,
    "subject_kind" TEXT NOT NULL,
    "subject_id" UUID NOT NULL,
    "resource_type" TEXT NOT NULL,
    "mode" TEXT NOT NULL,
    "dry_run" BOOLEAN NOT NULL DEFAULT false,
    "trigger" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'queued',
    "pages" INTEGER NOT NULL DEFAULT 0,
    "counts" JSONB NOT NULL DEFAULT '{}',
    "samples" JSONB NOT NULL DEFAULT '[]',
    "actions" JSONB NOT NULL DEFAULT '{}',
    "error" TEXT,
    "started_at" TIMESTAMPTZ(3),
    "finished_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "reconcile_runs_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "sync_runs_tenant_id_source_id_created_at_idx" ON "sync_runs"("tenant_id", "source_id", "created_at");

-- CreateIndex
CREATE UNIQUE INDEX "targets_tenant_id_name_key" ON "targets"("tenant_id", "name");

-- CreateIndex
CREATE INDEX "target_links_target_id_remote_id_idx" ON "target_links"("target_id", "remote_id");

-- CreateIndex
CREATE INDEX "target_links_target_id_status_idx" ON "target_links"("target_id", "status");

-- CreateIndex
CREATE UNIQUE INDEX "target_links_target_id_resource_id_key" ON "target_links"("target_id", "resource_id");

-- CreateIndex
CREATE INDEX "target_memberships_target_id_member_id_idx" ON "target_memberships"("target_id", "member_id");

-- CreateIndex
CREATE INDEX "push_log_tenant_id_target_id_created_at_idx" ON "push_log"("tenant_id", "target_id", "created_at");

-- CreateIndex
CREATE INDEX "push_log_tenant_id_resource_id_created_at_idx" ON "push_log"("tenant_id", "resource_id", "created_at");

-- CreateIndex
CREATE INDEX "reconcile_runs_tenant_id_subject_id_created_at_idx" ON "reconcile_runs"("tenant_id", "subject_id", "created_at");

-- AddForeignKey
ALTER TABLE "sync_runs" ADD CONSTRAINT "sync_runs_source_id_fkey" FOREIGN KEY ("source_id") REFERENCES "sources"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "targets" ADD CONSTRAINT "targets_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "target_links" ADD CONSTRAINT "target_links_target_id_fkey" FOREIGN KEY ("target_id") REFERENCES "targets"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "target_memberships" ADD CONSTRAINT "target_memberships_target_id_fkey" FOREIGN KEY ("target_id") REFERENCES "targets"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "push_log" ADD CONSTRAINT "push_log_target_id_fkey" FOREIGN KEY ("target_id") REFERENCES "targets"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "reconcile_runs" ADD CONSTRAINT "reconcile_runs_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE CASCADE ON UPDATE CASCADE;




-- Hand-written (ADR 0302: partial indexes are not expressible in schema.prisma).
-- At most one sync run per source is queued, running or waiting for an admin's confirmation.
CREATE UNIQUE INDEX "sync_runs_one_open_per_source" ON "sync_runs"("source_id")
  WHERE "status" IN ('queued', 'running', 'awaiting_confirmation');

-- At most one reconciliation per (target or source, resource type) is queued or running.
CREATE UNIQUE INDEX "reconcile_runs_one_open_per_subject" ON "reconcile_runs"("subject_id", "resource_type")
  WHERE "status" IN ('queued', 'running');

-- Links with work to do (the catch-up scan after Redis loss or quarantine).
CREATE INDEX "target_links_dirty" ON "target_links"("target_id", "resource_id")
  WHERE "pushed_version" IS DISTINCT FROM "desired_version";
