import type { AttrPath } from '../path/path.types';
import { COMMON_ATTRIBUTES } from './core-schemas';
import type {
  AttributeDefinition,
  ComplexAttribute,
  ResourceTypeDefinition,
  SchemaDefinition,
  SimpleAttribute,
} from './schema.types';

export interface SchemaView {
  readonly definition: SchemaDefinition;
  /** True for schema extensions, whose attributes live under the URN key of the resource. */
  readonly extension: boolean;
  /** For extensions: whether the resource type requires it. */
  readonly required: boolean;
}

export type ResolvedTarget =
  | {
      readonly kind: 'attribute';
      readonly schema: SchemaView;
      readonly attribute: AttributeDefinition;
      readonly subAttribute?: SimpleAttribute;
    }
  | { readonly kind: 'extension'; readonly schema: SchemaView };

const subIndexCache = new WeakMap<ComplexAttribute, Map<string, SimpleAttribute>>();

/** Case-insensitive sub-attribute lookup, indexed once per definition. */
export function findSubAttribute(attr: ComplexAttribute, name: string): SimpleAttribute | undefined {
  let index = subIndexCache.get(attr);
  if (!index) {
    index = new Map(attr.subAttributes.map((s) => [s.name.toLowerCase(), s]));
    subIndexCache.set(attr, index);
  }
  return index.get(name.toLowerCase());
}

/**
 * One resource type with its core schema, extensions and common attributes, indexed for
 * case-insensitive resolution. Immutable; the registry builds it once per resource type.
 */
export class ResourceTypeSchemas {
  readonly core: SchemaView;
  readonly extensions: readonly SchemaView[];
  /** Core attributes followed by the RFC 7643 §3.1 common attributes. */
  readonly coreAttributes: readonly AttributeDefinition[];
  private readonly bySchema = new Map<string, SchemaView>();
  private readonly attrIndex = new Map<SchemaView, Map<string, AttributeDefinition>>();

  constructor(
    readonly resourceType: ResourceTypeDefinition,
    core: SchemaDefinition,
    extensions: readonly { definition: SchemaDefinition; required: boolean }[],
  ) {
    this.core = { definition: core, extension: false, required: true };
    this.extensions = extensions.map((e) => ({
      definition: e.definition,
      extension: true,
      required: e.required,
    }));
    this.coreAttributes = [...core.attributes, ...COMMON_ATTRIBUTES];
    for (const view of [this.core, ...this.extensions]) {
      this.bySchema.set(view.definition.id.toLowerCase(), view);
      const attrs = view === this.core ? this.coreAttributes : view.definition.attributes;
      this.attrIndex.set(view, new Map(attrs.map((a) => [a.name.toLowerCase(), a])));
    }
  }

  get name(): string {
    return this.resourceType.name;
  }

  /** Every schema URN the resource type allows in `schemas`, core first. */
  get schemaUrns(): string[] {
    return [this.core.definition.id, ...this.extensions.map((e) => e.definition.id)];
  }

  findSchema(urn: string): SchemaView | undefined {
    return this.bySchema.get(urn.toLowerCase());
  }

  findAttribute(view: SchemaView, name: string): AttributeDefinition | undefined {
    return this.attrIndex.get(view)?.get(name.toLowerCase());
  }

  attributesOf(view: SchemaView): readonly AttributeDefinition[] {
    return view === this.core ? this.coreAttributes : view.definition.attributes;
  }

  /**
   * Resolves a client path. Unqualified names are core attributes only (RFC 7644 §3.10: clients
   * MUST qualify extension attributes). `urn:...:User` alone names the whole extension.
   */
  resolve(path: AttrPath): ResolvedTarget | undefined {
    let view = this.core;
    if (path.uri !== undefined) {
      const found = this.findSchema(path.uri);
      if (!found) {
        const whole = this.findSchema(`${path.uri}:${path.attr}`);
        return whole && whole.extension && path.subAttr === undefined
          ? { kind: 'extension', schema: whole }
          : undefined;
      }
      view = found;
    }
    const attribute = this.findAttribute(view, path.attr);
    if (!attribute) return undefined;
    if (path.subAttr === undefined) return { kind: 'attribute', schema: view, attribute };
    if (attribute.type !== 'complex') return undefined;
    const subAttribute = findSubAttribute(attribute, path.subAttr);
    return subAttribute ? { kind: 'attribute', schema: view, attribute, subAttribute } : undefined;
  }
}
