import {
  compileFilter,
  parseFilter,
  validateFilter,
  type FilterPredicate,
  type JsonObject,
  type ResourceTypeSchemas,
} from '@hub/scim';
import type { TargetScope } from './target-config';

export interface CompiledScope {
  readonly filter?: FilterPredicate;
  readonly filterText?: string;
  readonly groups?: ReadonlySet<string>;
}

export function compileScope(scope: TargetScope | undefined, schemas: ResourceTypeSchemas): CompiledScope {
  if (!scope) return {};
  return {
    ...(scope.filter
      ? {
          filter: compileFilter(validateFilter(parseFilter(scope.filter), schemas)),
          filterText: scope.filter,
        }
      : {}),
    ...(scope.groups?.length ? { groups: new Set(scope.groups) } : {}),
  };
}

export interface ScopeDecision {
  readonly inScope: boolean;
  readonly reason: string;
}

/**
 * Whether the target should hold the record: the filter (on the golden record) and, when groups
 * are chosen, membership of one of them (a Group is in scope when it is one of them).
 */
export function decideScope(
  scope: CompiledScope,
  record: { id: string; resourceType: string; attributes: Readonly<Record<string, unknown>> },
  memberOf: readonly string[],
): ScopeDecision {
  if (scope.filter && !scope.filter(record.attributes as JsonObject))
    return { inScope: false, reason: `does not match the scope filter ${scope.filterText}` };
  if (scope.groups) {
    const ok =
      record.resourceType === 'Group'
        ? scope.groups.has(record.id)
        : memberOf.some((g) => scope.groups!.has(g));
    if (!ok) return { inScope: false, reason: 'not assigned: in none of the scope groups' };
  }
  return {
    inScope: true,
    reason: scope.filter || scope.groups ? 'matches the scope' : 'no scope: every record',
  };
}
