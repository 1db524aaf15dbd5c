import { ENTERPRISE_USER_URN, SchemaRegistry, USER_URN, type ResourceTypeSchemas } from '@hub/scim';
import type { Contribution } from '../contribution/contribution.model';
import { compileRules, type CompiledRuleSet } from '../rules/rule.compiler';
import type { AuthorityRule, DefaultRule, RuleSet, TransformRule } from '../rules/rule.types';

export const registry = SchemaRegistry.withBuiltIns();
export const USERS: ResourceTypeSchemas = registry.resourceType('User');
export const GROUPS: ResourceTypeSchemas = registry.resourceType('Group');
export const ENT = ENTERPRISE_USER_URN;
export { USER_URN };

/** Source ids of the draft scenarios: HR (SCIM client, RC), LDAP (non-SCIM, ERC), the mail SaaS target, `/Me`. */
export const HR = 'src-hr';
export const LDAP = 'src-ldap';
export const MAIL = 'src-mail';
export const ME = 'src-me';
export const SOURCE_NAMES = { [HR]: 'HR', [LDAP]: 'LDAP', [MAIL]: 'Mail', [ME]: '/Me' };
export const ALL_SOURCES = [HR, LDAP, MAIL, ME];

export const T0 = new Date('2026-03-01T09:00:00.000Z');
export const at = (minutes: number) => new Date(T0.getTime() + minutes * 60_000);

export function contribution(
  sourceId: string,
  attributes: Record<string, unknown>,
  options: Partial<Omit<Contribution, 'sourceId' | 'attributes'>> = {},
): Contribution {
  return {
    sourceId,
    sourceKey: options.sourceKey ?? `${sourceId}:fry`,
    resourceType: options.resourceType ?? 'User',
    attributes,
    assertedAt: options.assertedAt ?? T0,
    ...(options.deletedAt !== undefined ? { deletedAt: options.deletedAt } : {}),
    ...(options.externalId !== undefined ? { externalId: options.externalId } : {}),
    ...(options.resourceId !== undefined ? { resourceId: options.resourceId } : {}),
  };
}

export function ruleSet(
  rules: AuthorityRule[],
  defaultRule: DefaultRule = { policy: 'priority', sources: [HR, LDAP] },
  transforms?: TransformRule[],
  schemas: ResourceTypeSchemas = USERS,
): CompiledRuleSet {
  const set: RuleSet = {
    resourceType: schemas.name,
    rules,
    defaultRule,
    ...(transforms ? { transforms } : {}),
  };
  return compileRules(set, schemas, { knownSourceIds: ALL_SOURCES });
}
