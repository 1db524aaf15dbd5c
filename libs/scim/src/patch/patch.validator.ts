import { InvalidPathError, InvalidSyntaxError, InvalidValueError, NoTargetError } from '../errors/scim-error';
import { printPath } from '../filter/filter.printer';
import { validateValueFilter } from '../filter/filter.validator';
import type { PatchPath } from '../path/path.types';
import type { ResourceTypeSchemas, SchemaView } from '../schema/resource-type-schemas';
import { isPlainObject, quote, type JsonObject } from '../util/json.util';
import {
  validateAttributeValue,
  validateComplex,
  validateSingle,
  validateSimple,
} from '../values/value.validator';
import type { AttributeOperation, NormalisedOperation, ValidatedOperation } from './patch.types';

/**
 * Second step of PATCH: resolves every path against the resource type, checks that the
 * operation fits the target and that values have the right types, and expands path-less
 * add/replace into one operation per attribute. State-dependent rules (immutable, noTarget on
 * a filter) are left to the applier, which sees the resource.
 */
export function validatePatch(
  ops: readonly NormalisedOperation[],
  schemas: ResourceTypeSchemas,
): ValidatedOperation[] {
  const out: ValidatedOperation[] = [];
  for (const op of ops) {
    if (op.path) out.push(...validateWithPath(op, op.path, schemas));
    else if (op.op === 'remove') {
      // RFC 7644 §3.5.2.2: remove without a path fails with noTarget.
      throw new NoTargetError(`Operations[${op.index}]: remove needs a "path"`);
    } else out.push(...expandPathLess(op, schemas));
  }
  return out;
}

function validateWithPath(
  op: NormalisedOperation,
  path: PatchPath,
  schemas: ResourceTypeSchemas,
): ValidatedOperation[] {
  const at = `Operations[${op.index}]`;
  const pathText = printPath(path);
  const target = schemas.resolve(path.attrPath);
  if (!target) throw new InvalidPathError(`${at}: unknown attribute path ${quote(pathText, 120)}`);
  if (target.kind === 'extension') {
    if (path.filter) throw new InvalidPathError(`${at}: a schema cannot take a value filter`);
    if (op.op === 'remove' || op.value === null) {
      return [{ target: 'extension', op: 'remove', index: op.index, schema: target.schema }];
    }
    // `"path": "urn:...:enterprise:2.0:User", "value": {...}` is the path-less form of that extension.
    if (!isPlainObject(op.value))
      throw new InvalidValueError(`${at}: value for ${target.schema.definition.id} must be an object`);
    return expandAttributes(op, target.schema, op.value, schemas);
  }
  const { attribute } = target;
  let subAttribute = target.subAttribute;
  let filter;
  if (path.filter) {
    if (attribute.type !== 'complex' || !attribute.multiValued) {
      throw new InvalidPathError(`${at}: ${attribute.name} is not a multi-valued complex attribute`);
    }
    filter = validateValueFilter(path.filter, target);
    if (path.subAttr !== undefined) {
      subAttribute = attribute.subAttributes.find(
        (s) => s.name.toLowerCase() === path.subAttr!.toLowerCase(),
      );
      if (!subAttribute)
        throw new InvalidPathError(`${at}: ${attribute.name} has no sub-attribute ${quote(path.subAttr)}`);
    }
  } else if (subAttribute && attribute.multiValued) {
    // `emails.value` would touch every element; RFC 7644 selects elements with a value filter.
    throw new InvalidPathError(
      `${at}: select elements of ${attribute.name} with a filter, e.g. ${attribute.name}[type eq "work"].${subAttribute.name}`,
    );
  }
  const base = {
    target: 'attribute' as const,
    op: op.op,
    index: op.index,
    schema: target.schema,
    attribute,
    ...(subAttribute ? { subAttribute } : {}),
    ...(filter ? { filter } : {}),
    ignoreNoTarget: op.ignoreNoTarget ?? false,
    upsert: op.upsert ?? false,
    pathText,
  };
  if (op.op === 'remove') return [base];
  // RFC 7643 §2.5: null is "unassigned", so setting null is removing.
  if (op.value === null) return [{ ...base, op: 'remove', ignoreNoTarget: true }];
  return [{ ...base, value: checkValue(base, op.value, `${at} (${pathText})`) }];
}

function checkValue(op: Omit<AttributeOperation, 'value'>, value: unknown, where: string): unknown {
  const { attribute, subAttribute, filter } = op;
  const opts = { where, dropReadOnly: true };
  if (subAttribute) {
    if (!subAttribute.multiValued) return validateSimple(subAttribute, value, where) ?? null;
    return validateAttributeValue(subAttribute, Array.isArray(value) ? value : [value], opts) ?? null;
  }
  if (filter) {
    // The element(s) selected by the filter are replaced by, or merged with, this object.
    if (attribute.type !== 'complex') throw new InvalidValueError(`${where}: expected an object`);
    return validateComplex(attribute, value, where, opts) ?? {};
  }
  if (attribute.multiValued) {
    // A single element is accepted for a multi-valued target ("a new value is added").
    return validateAttributeValue(attribute, Array.isArray(value) ? value : [value], opts) ?? [];
  }
  return validateSingle(attribute, value, where, opts) ?? null;
}

/** RFC 7644 §3.5.2.1/§3.5.2.3 with no path: `value` holds attributes of the resource. */
function expandPathLess(op: NormalisedOperation, schemas: ResourceTypeSchemas): ValidatedOperation[] {
  if (!isPlainObject(op.value)) {
    throw new InvalidValueError(
      `Operations[${op.index}]: without a "path", "value" must be an object of attributes`,
    );
  }
  const out: ValidatedOperation[] = [];
  const body = op.value;
  for (const key of Object.keys(body)) {
    if (key.toLowerCase() === 'schemas') {
      checkEchoedSchemas(body[key], schemas, op.index);
      continue;
    }
    const ext = key.includes(':') ? schemas.findSchema(key) : undefined;
    if (ext) {
      if (!ext.extension)
        throw new InvalidSyntaxError(
          `Operations[${op.index}]: core attributes are not nested under ${quote(key)}`,
        );
      const inner = body[key];
      if (inner === null) {
        out.push({ target: 'extension', op: 'remove', index: op.index, schema: ext });
        continue;
      }
      if (!isPlainObject(inner))
        throw new InvalidValueError(`Operations[${op.index}]: ${ext.definition.id} must be an object`);
      out.push(...expandAttributes(op, ext, inner, schemas));
      continue;
    }
    out.push(...expandAttributes(op, schemas.core, { [key]: body[key] }, schemas));
  }
  return out;
}

function expandAttributes(
  op: NormalisedOperation,
  view: SchemaView,
  body: JsonObject,
  schemas: ResourceTypeSchemas,
): AttributeOperation[] {
  const out: AttributeOperation[] = [];
  for (const key of Object.keys(body)) {
    const attribute = schemas.findAttribute(view, key);
    if (!attribute) {
      throw new InvalidSyntaxError(
        `Operations[${op.index}]: unknown attribute ${quote(key)}${view.extension ? ` in ${view.definition.id}` : ''}`,
      );
    }
    const pathText = view.extension ? `${view.definition.id}:${attribute.name}` : attribute.name;
    const base = {
      target: 'attribute' as const,
      op: op.op,
      index: op.index,
      schema: view,
      attribute,
      ignoreNoTarget: true,
      upsert: false,
      pathText,
    };
    if (body[key] === null) {
      out.push({ ...base, op: 'remove' });
      continue;
    }
    out.push({ ...base, value: checkValue(base, body[key], `Operations[${op.index}] (${pathText})`) });
  }
  return out;
}

/** Clients echo `schemas` in path-less values; accept it when it names only this type's schemas. */
function checkEchoedSchemas(value: unknown, schemas: ResourceTypeSchemas, index: number): void {
  if (!Array.isArray(value) || !value.every((u) => typeof u === 'string' && schemas.findSchema(u))) {
    throw new InvalidValueError(
      `Operations[${index}]: "schemas" lists a schema that is not part of ${schemas.name}`,
    );
  }
}
