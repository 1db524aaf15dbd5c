import type { AttrPath } from '../path/path.types';
import type { AttributeType } from '../schema/schema.types';

export type CompareOp = 'eq' | 'ne' | 'co' | 'sw' | 'ew' | 'gt' | 'lt' | 'ge' | 'le';
export const COMPARE_OPS: readonly CompareOp[] = ['eq', 'ne', 'co', 'sw', 'ew', 'gt', 'lt', 'ge', 'le'];

/** RFC 7644 §3.4.2.2 `compValue = false / null / true / number / string`. */
export type CompValue = string | number | boolean | null;

/**
 * What a path names once validated against a resource type. Plain data, so a SQL translator
 * can turn it into JSONB access without knowing the schema classes.
 */
export interface ResolvedAttribute {
  /** URN of the schema that defines the attribute (the core URN for common attributes). */
  readonly schema: string;
  /** Extension attributes live under the schema URN key of the resource. */
  readonly extension: boolean;
  /** Canonical (schema) spelling. */
  readonly attribute: string;
  readonly subAttribute?: string;
  /** Type of the leaf compared: the sub-attribute's when there is one. */
  readonly type: AttributeType;
  readonly caseExact: boolean;
  /** Whether the top-level attribute is multi-valued (any element may match). */
  readonly multiValued: boolean;
  /** `emails co "x"` compares `emails.value` (RFC 7644 §3.4.2.2 example). */
  readonly implicitValue?: boolean;
  /** Inside `emails[...]`: evaluated against one element; `jsonPath` is still from the root. */
  readonly withinValuePath?: boolean;
  /** Storage keys from the resource root, e.g. `["urn:...:enterprise:2.0:User", "manager", "value"]`. */
  readonly jsonPath: readonly string[];
}

export interface CompareNode {
  readonly kind: 'compare';
  readonly path: AttrPath;
  readonly op: CompareOp;
  readonly value: CompValue;
  readonly attr?: ResolvedAttribute;
}

export interface PresentNode {
  readonly kind: 'present';
  readonly path: AttrPath;
  readonly attr?: ResolvedAttribute;
}

/** Binary and left-associative, as parsed: `a or b or c` is `(a or b) or c`. */
export interface LogicalNode {
  readonly kind: 'and' | 'or';
  readonly left: FilterNode;
  readonly right: FilterNode;
}

export interface NotNode {
  readonly kind: 'not';
  readonly filter: FilterNode;
}

/** `emails[type eq "work" and value co "@example.com"]`: one element must satisfy `filter`. */
export interface ValuePathNode {
  readonly kind: 'valuePath';
  readonly path: AttrPath;
  readonly filter: FilterNode;
  readonly attr?: ResolvedAttribute;
}

export type FilterNode = CompareNode | PresentNode | LogicalNode | NotNode | ValuePathNode;
