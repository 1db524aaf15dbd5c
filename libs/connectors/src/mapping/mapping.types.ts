/** One SCIM attribute filled from one source field (or a constant), declaratively. */
export interface AttributeMappingRule {
  /**
   * SCIM path written: `userName`, `name.givenName`, `emails[type eq "work"].value`,
   * `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber`.
   */
  readonly target: string;
  /** Source field: an LDAP attribute name, or a dot path into a JSON record (`profile.email`). */
  readonly source?: string;
  /** A fixed value instead of (or, with `source`, when it is empty: see `default`) a field. */
  readonly constant?: unknown;
  /** Used when the source field has no value. */
  readonly default?: unknown;
  /** Transforms applied in order: built-ins (`lower`, `upper`, `trim`, `first`, `join(", ")`) or hook expressions. */
  readonly transform?: string | readonly string[];
  /** Typed multi-valued targets: the first element this rule creates gets `primary: true`. */
  readonly primary?: boolean;
}

export interface AttributeMapping {
  readonly rules: readonly AttributeMappingRule[];
}

/** What a transform sees of the record being mapped. */
export interface SourceView {
  /** Value of a source field: undefined when absent, an array when multi-valued. */
  field(name: string): unknown;
}

/**
 * Expressions that are not built-ins go here (the engine's expression language plugs in).
 * Receives the current value (after the previous transforms) and the whole record.
 */
export type TransformHook = (expression: string, input: { value: unknown; record: SourceView }) => unknown;
