-- CreateTable
CREATE TABLE "scim_definitions" (
    "id" UUID NOT NULL,
    "tenant_id" UUID NOT NULL,
    "kind" TEXT NOT NULL,
    "key" TEXT NOT NULL,
    "definition" JSONB NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "scim_definitions_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "scim_definitions_tenant_id_kind_key_key" ON "scim_definitions"("tenant_id", "kind", "key");

-- CreateIndex
CREATE INDEX "resources_tenant_id_resource_type_id_idx" ON "resources"("tenant_id", "resource_type", "id");

-- CreateIndex
CREATE INDEX "resources_attributes_idx" ON "resources" USING GIN ("attributes" jsonb_path_ops);

-- CreateIndex
CREATE INDEX "contributions_source_id_resource_id_idx" ON "contributions"("source_id", "resource_id");

-- AddForeignKey
ALTER TABLE "scim_definitions" ADD CONSTRAINT "scim_definitions_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE CASCADE ON UPDATE CASCADE;



-- Hand-written (Prisma's schema language cannot express functions; `prisma migrate dev` does not
-- diff functions, so it neither recreates nor drops them: see docs/decisions/0302).
-- SQL twins of libs/scim's in-memory filter semantics, used by the filter → SQL translator.

-- RFC 7644 §3.4.2.2 `pr` on one scalar (or an array of scalars) inside a complex value.
CREATE OR REPLACE FUNCTION scim_scalar_present(v jsonb) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE
    WHEN v IS NULL THEN false
    WHEN jsonb_typeof(v) = 'null' THEN false
    WHEN jsonb_typeof(v) = 'string' THEN v <> '""'::jsonb
    WHEN jsonb_typeof(v) = 'object' THEN false
    WHEN jsonb_typeof(v) = 'array' THEN EXISTS (
      SELECT 1 FROM jsonb_array_elements(v) x
      WHERE jsonb_typeof(x) NOT IN ('null', 'object', 'array') AND x <> '""'::jsonb)
    ELSE true
  END
$$;

-- `pr` on one value: non-empty scalar, or a complex value with a non-empty sub-attribute.
CREATE OR REPLACE FUNCTION scim_elem_present(v jsonb) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE
    WHEN v IS NULL THEN false
    WHEN jsonb_typeof(v) = 'null' THEN false
    WHEN jsonb_typeof(v) = 'string' THEN v <> '""'::jsonb
    WHEN jsonb_typeof(v) = 'object' THEN EXISTS (
      SELECT 1 FROM jsonb_each(v) kv WHERE scim_scalar_present(kv.value))
    WHEN jsonb_typeof(v) = 'array' THEN scim_scalar_present(v)
    ELSE true
  END
$$;

-- `pr` on an attribute value: multi-valued attributes need one non-empty element.
CREATE OR REPLACE FUNCTION scim_present(v jsonb) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE
    WHEN v IS NULL THEN false
    WHEN jsonb_typeof(v) = 'array' THEN EXISTS (
      SELECT 1 FROM jsonb_array_elements(v) e WHERE scim_elem_present(e))
    ELSE scim_elem_present(v)
  END
$$;

-- xsd:dateTime text → timestamptz (no offset means UTC, as in libs/scim), NULL when not a dateTime.
CREATE OR REPLACE FUNCTION scim_ts(t text) RETURNS timestamptz
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
BEGIN
  IF t IS NULL OR length(t) > 40
     OR t !~ '^-?[0-9]{4,}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?(Z|[+-][0-9]{2}:[0-9]{2})?$' THEN
    RETURN NULL;
  END IF;
  IF t !~ '(Z|[+-][0-9]{2}:[0-9]{2})$' THEN
    t := t || 'Z';
  END IF;
  RETURN t::timestamptz;
EXCEPTION WHEN others THEN
  RETURN NULL;
END
$$;

-- Elements of a JSON value as a set: arrays as themselves, a single value as one element.
CREATE OR REPLACE FUNCTION scim_elements(v jsonb) RETURNS SETOF jsonb
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT e FROM jsonb_array_elements(CASE
    WHEN v IS NULL OR jsonb_typeof(v) = 'null' THEN '[]'::jsonb
    WHEN jsonb_typeof(v) = 'array' THEN v
    ELSE jsonb_build_array(v)
  END) e
$$;
