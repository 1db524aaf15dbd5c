/**
 * Group membership lives in `group_members` (ADR 0303); a resource that holds members keeps the
 * marker `members: []` in its JSON. These fragments compose the SCIM views of it.
 */

/**
 * `members` of the row `alias` composed from `group_members` in the order they were added, for a
 * resource whose stored `members` is the marker; NULL (no lookup) for the others.
 */
export function membersSql(alias: string): string {
  return `CASE WHEN jsonb_typeof(${alias}.attributes -> 'members') = 'array' THEN (
    SELECT COALESCE(jsonb_agg(jsonb_strip_nulls(jsonb_build_object('value', gm.member_id::text, 'type', gm.member_type, 'display', gm.display)) ORDER BY gm.seq), '[]'::jsonb)
    FROM group_members gm WHERE gm.group_id = ${alias}.id) END`;
}

/** One jsonb `{value, type, display}` per member of the row `alias` (filters on `members`). */
export function memberElementsSql(alias: string, column: string): string {
  return `(SELECT jsonb_strip_nulls(jsonb_build_object('value', gm.member_id::text, 'type', gm.member_type, 'display', gm.display)) AS ${column}
    FROM group_members gm WHERE gm.group_id = ${alias}.id)`;
}

/** The Groups listing the row `alias` as a member: `gm` (membership) joined to `g` (the group). */
export function memberOfSql(alias: string, tenantParam: string): string {
  return `group_members gm JOIN resources g ON g.id = gm.group_id AND g.resource_type = 'Group'
    WHERE gm.tenant_id = ${tenantParam} AND gm.member_id = ${alias}.id`;
}
