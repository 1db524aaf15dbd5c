import type { PATCH_OP_URN } from '../constants';
import type { FilterNode } from '../filter/filter.types';
import type { PatchPath } from '../path/path.types';
import type { SchemaView } from '../schema/resource-type-schemas';
import type { AttributeDefinition, SimpleAttribute } from '../schema/schema.types';

export type PatchOpName = 'add' | 'remove' | 'replace';

/** RFC 7644 §3.5.2 operation, as a client sends it. */
export interface PatchOperation {
  op: PatchOpName;
  path?: string;
  value?: unknown;
}

/** RFC 7644 §3.5.2 PatchOp message. */
export interface PatchRequest {
  schemas: [typeof PATCH_OP_URN, ...string[]];
  Operations: PatchOperation[];
}

/**
 * How a client deviates from RFC 7644, chosen per API client (never globally):
 * - `rfc`: strict RFC 7644.
 * - `entra`: Microsoft Entra ID provisioning (capitalised ops, "True"/"False" strings, `members`
 *   remove with a value list, dotted keys in path-less values, replace of a missing filtered element).
 * - `okta`: Okta (`id` echoed inside values, filtered removes of elements already gone).
 */
export type PatchDialect = 'rfc' | 'entra' | 'okta';

/** Strict by default: an unknown client gets RFC semantics and clear errors, never a guess. */
export const DEFAULT_PATCH_DIALECT: PatchDialect = 'rfc';

/** Output of the normaliser: RFC shape, paths parsed, dialect quirks gone. */
export interface NormalisedOperation {
  readonly op: PatchOpName;
  readonly path?: PatchPath;
  /** Present for add and replace. */
  readonly value?: unknown;
  /** Position of the operation in the request (for error details). */
  readonly index: number;
  /** A filtered remove that matches nothing is a no-op instead of `noTarget`. */
  readonly ignoreNoTarget?: boolean;
  /** A filtered replace that matches nothing adds an element built from the filter's `eq` terms. */
  readonly upsert?: boolean;
}

/** Output of the validator: one resolved target per operation, values checked and canonical. */
export type ValidatedOperation = ExtensionOperation | AttributeOperation;

/** Remove of a whole extension (`"path": "urn:...:enterprise:2.0:User"`). */
export interface ExtensionOperation {
  readonly target: 'extension';
  readonly op: 'remove';
  readonly index: number;
  readonly schema: SchemaView;
}

export interface AttributeOperation {
  readonly target: 'attribute';
  readonly op: PatchOpName;
  readonly index: number;
  readonly schema: SchemaView;
  readonly attribute: AttributeDefinition;
  /** `name.givenName`, or the `.value` of `emails[type eq "work"].value`. */
  readonly subAttribute?: SimpleAttribute;
  /** Validated value filter (multi-valued complex attributes only). */
  readonly filter?: FilterNode;
  /** Canonical value for add/replace: element, array, complex object or scalar, by target. */
  readonly value?: unknown;
  readonly ignoreNoTarget: boolean;
  readonly upsert: boolean;
  /** Text of the path, for error details. */
  readonly pathText: string;
}
