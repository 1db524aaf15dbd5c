import type { FilterNode } from '../filter/filter.types';

/**
 * RFC 7644 §3.4.2.2 `attrPath = [URI ":"] ATTRNAME *1subAttr`, as written by the client.
 * Resolution against a schema (see ResourceTypeSchemas.resolve) decides what it names.
 */
export interface AttrPath {
  readonly uri?: string;
  readonly attr: string;
  readonly subAttr?: string;
}

/** RFC 7644 §3.5.2 `PATH = attrPath / valuePath [subAttr]`. */
export interface PatchPath {
  readonly attrPath: AttrPath;
  /** The value filter of `emails[type eq "work"]`. */
  readonly filter?: FilterNode;
  /** The `.value` of `emails[type eq "work"].value`. */
  readonly subAttr?: string;
}
