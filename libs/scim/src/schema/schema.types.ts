/**
 * Schemas are data (RFC 7643 §2.2, §7). Parameters are typed per attribute type so that
 * impossible combinations (referenceTypes on a boolean, nested complex attributes) cannot be written.
 */

export type AttributeType =
  'string' | 'boolean' | 'decimal' | 'integer' | 'dateTime' | 'binary' | 'reference' | 'complex';

export type Mutability = 'readOnly' | 'readWrite' | 'immutable' | 'writeOnly';
export type Returned = 'always' | 'never' | 'default' | 'request';
export type Uniqueness = 'none' | 'server' | 'global';

interface AttributeCommon {
  readonly name: string;
  readonly description?: string;
  readonly multiValued: boolean;
  readonly required: boolean;
  readonly mutability: Mutability;
  readonly returned: Returned;
  readonly uniqueness: Uniqueness;
}

export interface StringAttribute extends AttributeCommon {
  readonly type: 'string';
  readonly caseExact: boolean;
  readonly canonicalValues?: readonly string[];
}
export interface ReferenceAttribute extends AttributeCommon {
  readonly type: 'reference';
  readonly caseExact: boolean;
  /** e.g. `User`, `Group`, `external`, `uri` (RFC 7643 §7). */
  readonly referenceTypes: readonly string[];
}
export interface BinaryAttribute extends AttributeCommon {
  readonly type: 'binary';
  /** RFC 7643 §2.3.6: binary is case-exact. */
  readonly caseExact: true;
}
export interface BooleanAttribute extends AttributeCommon {
  readonly type: 'boolean';
}
export interface DecimalAttribute extends AttributeCommon {
  readonly type: 'decimal';
}
export interface IntegerAttribute extends AttributeCommon {
  readonly type: 'integer';
}
export interface DateTimeAttribute extends AttributeCommon {
  readonly type: 'dateTime';
}

/** Anything but complex: RFC 7643 §2.3.8 forbids sub-attributes that have sub-attributes. */
export type SimpleAttribute =
  | StringAttribute
  | ReferenceAttribute
  | BinaryAttribute
  | BooleanAttribute
  | DecimalAttribute
  | IntegerAttribute
  | DateTimeAttribute;

export interface ComplexAttribute extends AttributeCommon {
  readonly type: 'complex';
  readonly subAttributes: readonly SimpleAttribute[];
}

export type AttributeDefinition = SimpleAttribute | ComplexAttribute;

export interface SchemaDefinition {
  /** The schema URN. */
  readonly id: string;
  readonly name?: string;
  readonly description?: string;
  readonly attributes: readonly AttributeDefinition[];
}

export interface SchemaExtensionRef {
  readonly schema: string;
  readonly required: boolean;
}

export interface ResourceTypeDefinition {
  readonly id: string;
  readonly name: string;
  readonly endpoint: string;
  readonly description?: string;
  /** Core schema URN. */
  readonly schema: string;
  readonly schemaExtensions: readonly SchemaExtensionRef[];
}

/** Case-exactness of a simple attribute; RFC 7643 §2.2 defaults to false. */
export function isCaseExact(attr: AttributeDefinition): boolean {
  return attr.type === 'string' || attr.type === 'reference' || attr.type === 'binary'
    ? attr.caseExact
    : false;
}
