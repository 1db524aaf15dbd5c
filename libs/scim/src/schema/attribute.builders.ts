import type {
  AttributeDefinition,
  BinaryAttribute,
  BooleanAttribute,
  ComplexAttribute,
  DateTimeAttribute,
  DecimalAttribute,
  IntegerAttribute,
  Mutability,
  ReferenceAttribute,
  Returned,
  SimpleAttribute,
  StringAttribute,
  Uniqueness,
} from './schema.types';

/** Characteristics that may be overridden; the rest follow the RFC 7643 §2.2 defaults. */
export interface CommonOptions {
  description?: string;
  multiValued?: boolean;
  required?: boolean;
  mutability?: Mutability;
  returned?: Returned;
  uniqueness?: Uniqueness;
}

function common(name: string, o: CommonOptions) {
  return {
    name,
    ...(o.description !== undefined ? { description: o.description } : {}),
    multiValued: o.multiValued ?? false,
    required: o.required ?? false,
    mutability: o.mutability ?? 'readWrite',
    returned: o.returned ?? 'default',
    uniqueness: o.uniqueness ?? 'none',
  } as const;
}

export function str(
  name: string,
  o: CommonOptions & { caseExact?: boolean; canonicalValues?: readonly string[] } = {},
): StringAttribute {
  return {
    ...common(name, o),
    type: 'string',
    caseExact: o.caseExact ?? false,
    ...(o.canonicalValues ? { canonicalValues: o.canonicalValues } : {}),
  };
}

export function ref(
  name: string,
  referenceTypes: readonly string[],
  o: CommonOptions & { caseExact?: boolean } = {},
): ReferenceAttribute {
  return { ...common(name, o), type: 'reference', caseExact: o.caseExact ?? false, referenceTypes };
}

export function bool(name: string, o: CommonOptions = {}): BooleanAttribute {
  return { ...common(name, o), type: 'boolean' };
}

export function dateTime(name: string, o: CommonOptions = {}): DateTimeAttribute {
  return { ...common(name, o), type: 'dateTime' };
}

export function decimal(name: string, o: CommonOptions = {}): DecimalAttribute {
  return { ...common(name, o), type: 'decimal' };
}

export function integer(name: string, o: CommonOptions = {}): IntegerAttribute {
  return { ...common(name, o), type: 'integer' };
}

export function binary(name: string, o: CommonOptions = {}): BinaryAttribute {
  return { ...common(name, o), type: 'binary', caseExact: true };
}

export function complex(
  name: string,
  subAttributes: readonly SimpleAttribute[],
  o: CommonOptions = {},
): ComplexAttribute {
  return { ...common(name, o), type: 'complex', subAttributes };
}

/**
 * The value/display/type/primary shape shared by emails, phoneNumbers, ims, photos,
 * entitlements, roles and x509Certificates (RFC 7643 §2.4, §4.1.2).
 */
export function multiValuedComplex(
  name: string,
  description: string,
  opts: { value: SimpleAttribute; types?: readonly string[] },
): AttributeDefinition {
  return complex(
    name,
    [
      opts.value,
      str('display', {
        description: 'A human-readable name, primarily used for display purposes.  READ-ONLY.',
      }),
      str('type', {
        description: `A label indicating the attribute's function.`,
        ...(opts.types ? { canonicalValues: opts.types } : {}),
      }),
      bool('primary', {
        description: `A Boolean value indicating the 'primary' or preferred attribute value for this attribute.  The primary attribute value 'true' MUST appear no more than once.`,
      }),
    ],
    { description, multiValued: true },
  );
}
