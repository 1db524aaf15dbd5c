-- DropIndex
DROP INDEX "resources_attributes_idx";

-- CreateTable
CREATE TABLE "group_members" (
    "tenant_id" UUID NOT NULL,
    "group_id" UUID NOT NULL,
    "member_id" UUID NOT NULL,
    "member_type" TEXT NOT NULL,
    "display" TEXT,
    "seq" BIGSERIAL NOT NULL,

    CONSTRAINT "group_members_pkey" PRIMARY KEY ("group_id","member_id")
);

-- CreateIndex
CREATE INDEX "group_members_tenant_id_member_id_idx" ON "group_members"("tenant_id", "member_id");

-- AddForeignKey
ALTER TABLE "group_members" ADD CONSTRAINT "group_members_group_id_fkey" FOREIGN KEY ("group_id") REFERENCES "resources"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "group_members" ADD CONSTRAINT "group_members_member_id_fkey" FOREIGN KEY ("member_id") REFERENCES "resources"("id") ON DELETE CASCADE ON UPDATE CASCADE;


-- Hand-written (ADR 0303): move members out of each resource's JSON into group_members, in their
-- array order, and leave the marker `members: []` (reads compose the list from the table).
INSERT INTO "group_members" ("tenant_id", "group_id", "member_id", "member_type", "display")
SELECT g."tenant_id", g."id", m."id", COALESCE(e.m ->> 'type', m."resource_type"), e.m ->> 'display'
FROM "resources" g
CROSS JOIN LATERAL jsonb_array_elements(g."attributes" -> 'members') WITH ORDINALITY AS e(m, n)
JOIN "resources" m ON m."tenant_id" = g."tenant_id"
  AND (e.m ->> 'value') ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
  AND m."id" = (e.m ->> 'value')::uuid
WHERE jsonb_typeof(g."attributes" -> 'members') = 'array'
ORDER BY g."id", e.n
ON CONFLICT DO NOTHING;

UPDATE "resources" SET "attributes" = jsonb_set("attributes", '{members}', '[]'::jsonb)
WHERE jsonb_typeof("attributes" -> 'members') = 'array' AND "attributes" -> 'members' <> '[]'::jsonb;
