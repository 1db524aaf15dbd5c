/**
 * Authority rules (DESIGN §4 "Authority"): for an attribute path, which sources may set it, in
 * what order, and how to merge. Plain data as an admin writes it; compileRules checks it against
 * the schema registry and indexes it.
 */
export type Policy = 'priority' | 'exclusive' | 'newest' | 'union';
export const POLICIES: readonly Policy[] = ['priority', 'exclusive', 'newest', 'union'];

/** In a rule's source list: every source not listed, ranked after the listed ones (by source id). */
export const ANY_SOURCE = '*';

export interface AuthorityRule {
  /** `displayName`, `name.givenName`, `emails[type eq "work"]`, `urn:…:User:department`, an extension URN. */
  readonly path: string;
  readonly policy: Policy;
  /**
   * Source ids, highest rank first. Sources not listed take no part (they are not authorities
   * for the path) unless the list contains `*`. `exclusive` takes exactly one source.
   */
  readonly sources: readonly string[];
}

/** Covers every path without a rule of its own. A `union` default merges multi-valued units and reads as `priority` elsewhere. */
export interface DefaultRule {
  readonly policy: Policy;
  readonly sources: readonly string[];
}

/** A computed attribute: a JSONata expression over the resolved record (see transform/). */
export interface TransformRule {
  /** Target path, same syntax as rule paths. */
  readonly path: string;
  readonly expression: string;
  /** `override` (default): the transform's result replaces what the sources say; `fillMissing`: only when no source has a value. */
  readonly mode?: 'override' | 'fillMissing';
  /** Bound as `$config` in the expression: lookup tables, a mail domain, a default country code. */
  readonly config?: Readonly<Record<string, unknown>>;
}

/** Per tenant and resource type. */
export interface RuleSet {
  readonly resourceType: string;
  readonly rules: readonly AuthorityRule[];
  readonly defaultRule: DefaultRule;
  readonly transforms?: readonly TransformRule[];
}
