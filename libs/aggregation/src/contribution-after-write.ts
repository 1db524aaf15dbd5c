import { UnitIndex, sameJson, type UnitValue } from '@hub/engine';
import type { ResourceTypeSchemas } from '@hub/scim';

const fineIndexes = new WeakMap<ResourceTypeSchemas, UnitIndex>();

/**
 * The finest units a write can change: every complex singular attribute split into its
 * sub-attributes (`name.givenName`), typed elements per type. Independent of the tenant's rules,
 * so a client changing `name.givenName` never adopts another source's `name.familyName`.
 */
export function writeIndex(schemas: ResourceTypeSchemas): UnitIndex {
  let index = fineIndexes.get(schemas);
  if (!index) {
    const attributes: string[] = [];
    for (const view of [schemas.core, ...schemas.extensions])
      for (const attr of schemas.attributesOf(view))
        if (attr.type === 'complex' && !attr.multiValued)
          attributes.push(view.extension ? `${view.definition.id}:${attr.name}` : attr.name);
    fineIndexes.set(schemas, (index = new UnitIndex(schemas, { attributes })));
  }
  return index;
}

/**
 * A SCIM PUT or PATCH is written against the golden record the client reads; what the source
 * asserts afterwards is its previous contribution plus what the client changed (ADR 0203):
 * units that differ between the golden record before and after the client's change are set
 * (or withdrawn) in the contribution; everything the client merely echoed stays as the source
 * had it. With a single source (contribution = golden record) this is the client's new view.
 */
export function contributionAfterWrite(
  schemas: ResourceTypeSchemas,
  previous: Readonly<Record<string, unknown>> | null | undefined,
  goldenBefore: Readonly<Record<string, unknown>>,
  goldenAfter: Readonly<Record<string, unknown>>,
): Record<string, unknown> {
  const index = writeIndex(schemas);
  const own = previous ? index.decompose(previous).units : new Map<string, UnitValue>();
  const before = index.decompose(goldenBefore).units;
  const after = index.decompose(goldenAfter).units;
  for (const key of new Set([...before.keys(), ...after.keys()])) {
    const a = before.get(key);
    const b = after.get(key);
    if (a && b && sameJson(a.value, b.value)) continue;
    if (b) own.set(key, b);
    else own.delete(key);
  }
  return index.compose(own.values());
}
