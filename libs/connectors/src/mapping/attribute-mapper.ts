import {
  parsePath,
  parseDateTime,
  ScimError,
  SchemaRegistry,
  setOwn,
  type AttributeDefinition,
  type FilterNode,
  type JsonObject,
  type ResourceTypeSchemas,
  type SchemaView,
  type SimpleAttribute,
} from '@hub/scim';
import { ConnectorError } from '../connector.error';
import { compileTransform, type CompiledTransform } from './mapping.transforms';
import type { AttributeMapping, AttributeMappingRule, SourceView, TransformHook } from './mapping.types';

export interface MapperOptions {
  /** The tenant's view of the resource type; built-in User/Group/Device when omitted. */
  readonly schemas?: ResourceTypeSchemas;
  readonly transform?: TransformHook;
}

/** Where one rule writes, resolved against the schema once at compile time. */
interface CompiledTarget {
  readonly schema: SchemaView;
  readonly attribute: AttributeDefinition;
  /** Leaf written inside a complex attribute (`givenName`, the `.value` of `emails[…].value`). */
  readonly sub?: SimpleAttribute;
  /** Multi-valued complex: the `eq` terms of the value filter, copied into each element. */
  readonly template?: JsonObject;
  /** Elements of one attribute created by rules with the same template are shared. */
  readonly groupKey: string;
}

interface CompiledRule {
  readonly text: string;
  readonly read: (record: SourceView) => unknown;
  readonly transforms: readonly CompiledTransform[];
  readonly target: CompiledTarget;
  readonly primary: boolean;
}

let builtIns: SchemaRegistry | undefined;
const defaultSchemas = (resourceType: string): ResourceTypeSchemas =>
  (builtIns ??= SchemaRegistry.withBuiltIns()).resourceType(resourceType);

/**
 * A declarative attribute mapping compiled once per source and resource type. Paths are parsed
 * and resolved against the SCIM schema up front, so a typo is a `config` error when the source is
 * saved, not a silent gap in every record. `map` turns one source record into a SCIM body.
 */
export class AttributeMapper {
  private readonly rules: CompiledRule[];
  /** Source fields the mapping reads (LDAP asks the server for exactly these). */
  readonly sourceFields: readonly string[];
  private readonly schemas: ResourceTypeSchemas;

  constructor(resourceType: string, mapping: AttributeMapping, options: MapperOptions = {}) {
    try {
      this.schemas = options.schemas ?? defaultSchemas(resourceType);
    } catch (e) {
      throw new ConnectorError('config', `Unknown resource type ${JSON.stringify(resourceType)}`, {
        cause: e,
      });
    }
    if (!Array.isArray(mapping?.rules))
      throw new ConnectorError('config', 'The mapping needs a list of rules');
    this.rules = mapping.rules.map((rule, i) => this.compileRule(rule, i, options.transform));
    this.sourceFields = [...new Set(mapping.rules.flatMap((r) => (r.source ? [r.source] : [])))];
  }

  /** Maps one record. Values that do not fit the schema type are kept as read, for the engine to judge. */
  map(record: SourceView): JsonObject {
    const out: JsonObject = {};
    const groups = new Map<string, JsonObject[]>();
    const extensions = new Set<string>();
    for (const rule of this.rules) {
      let value = rule.read(record);
      for (const t of rule.transforms) {
        if (isEmpty(value)) break;
        value = t(value, record);
      }
      if (isEmpty(value)) continue;
      const { target } = rule;
      let container = out;
      if (target.schema.extension) {
        const urn = target.schema.definition.id;
        extensions.add(urn);
        container = (out[urn] as JsonObject | undefined) ?? setOwn(out, urn, {});
      }
      write(container, target, value, groups, rule.primary);
    }
    const schemas = [this.schemas.core.definition.id, ...extensions];
    return Object.keys(out).length === 0 ? {} : { schemas, ...out };
  }

  private compileRule(
    rule: AttributeMappingRule,
    index: number,
    hook: TransformHook | undefined,
  ): CompiledRule {
    const text = `rule ${index + 1} (${JSON.stringify(String(rule?.target).slice(0, 120))})`;
    if (typeof rule?.target !== 'string')
      throw new ConnectorError('config', `Mapping rule ${index + 1} has no target`);
    if (rule.source === undefined && rule.constant === undefined)
      throw new ConnectorError('config', `Mapping ${text} needs a source or a constant`);
    if (rule.source !== undefined && (typeof rule.source !== 'string' || rule.source.trim() === ''))
      throw new ConnectorError('config', `Mapping ${text} has an empty source`);
    const transforms = (typeof rule.transform === 'string' ? [rule.transform] : (rule.transform ?? [])).map(
      (t) => compileTransform(t, hook),
    );
    const source = rule.source;
    const fallback = rule.source === undefined ? rule.constant : rule.default;
    const read =
      source === undefined
        ? () => fallback
        : (record: SourceView) => {
            const v = record.field(source);
            return isEmpty(v) ? fallback : v;
          };
    return {
      text,
      read,
      transforms,
      target: this.compileTarget(rule.target, text),
      primary: rule.primary === true,
    };
  }

  private compileTarget(path: string, text: string): CompiledTarget {
    let parsed;
    try {
      parsed = parsePath(path);
    } catch (e) {
      const detail = e instanceof ScimError ? e.message : 'invalid path';
      throw new ConnectorError('config', `Mapping ${text}: ${detail}`, { cause: e });
    }
    const resolved = this.schemas.resolve(parsed.attrPath);
    if (!resolved || resolved.kind !== 'attribute')
      throw new ConnectorError('config', `Mapping ${text}: no such attribute in ${this.schemas.name}`);
    const { attribute, schema } = resolved;
    if (attribute.mutability === 'readOnly')
      throw new ConnectorError('config', `Mapping ${text}: ${attribute.name} is read-only in SCIM`);
    let sub = resolved.subAttribute;
    let template: JsonObject | undefined;
    if (parsed.filter || parsed.subAttr) {
      if (attribute.type !== 'complex' || !attribute.multiValued || sub)
        throw new ConnectorError(
          'config',
          `Mapping ${text}: a value filter needs a multi-valued complex attribute`,
        );
      if (parsed.filter) template = filterTemplate(parsed.filter, attribute, text);
      if (parsed.subAttr) {
        sub = attribute.subAttributes.find((s) => s.name.toLowerCase() === parsed.subAttr!.toLowerCase());
        if (!sub)
          throw new ConnectorError('config', `Mapping ${text}: ${attribute.name} has no ${parsed.subAttr}`);
      }
    }
    const groupKey =
      `${schema.definition.id}:${attribute.name}:${JSON.stringify(template ?? {})}`.toLowerCase();
    return { schema, attribute, ...(sub ? { sub } : {}), ...(template ? { template } : {}), groupKey };
  }
}

/** `type eq "work" and primary eq true` → `{ type: "work", primary: true }`; anything else is refused. */
function filterTemplate(node: FilterNode, attribute: AttributeDefinition, text: string): JsonObject {
  const out: JsonObject = {};
  const visit = (n: FilterNode): void => {
    if (n.kind === 'and') {
      visit(n.left);
      visit(n.right);
      return;
    }
    if (n.kind !== 'compare' || n.op !== 'eq' || n.path.uri || n.path.subAttr || attribute.type !== 'complex')
      throw new ConnectorError(
        'config',
        `Mapping ${text}: only "sub eq value" terms joined by "and" can select an element`,
      );
    const sub = attribute.subAttributes.find((s) => s.name.toLowerCase() === n.path.attr.toLowerCase());
    if (!sub) throw new ConnectorError('config', `Mapping ${text}: ${attribute.name} has no ${n.path.attr}`);
    setOwn(out, sub.name, n.value);
  };
  visit(node);
  return out;
}

function write(
  container: JsonObject,
  target: CompiledTarget,
  value: unknown,
  groups: Map<string, JsonObject[]>,
  primary: boolean,
): void {
  const { attribute, sub } = target;
  const name = attribute.name;
  const values = (Array.isArray(value) ? value : [value]).filter(
    (v) => v !== undefined && v !== null && v !== '',
  );
  if (attribute.type !== 'complex') {
    if (attribute.multiValued) {
      const existing = Array.isArray(container[name]) ? (container[name] as unknown[]) : [];
      setOwn(container, name, [...existing, ...values.map((v) => coerce(attribute, v))]);
    } else {
      setOwn(container, name, coerce(attribute, values[0]));
    }
    return;
  }
  if (!attribute.multiValued) {
    if (sub) {
      const obj = isObject(container[name]) ? (container[name] as JsonObject) : setOwn(container, name, {});
      setOwn(obj, sub.name, coerce(sub, values[0]));
    } else if (isObject(values[0])) {
      setOwn(container, name, { ...(values[0] as JsonObject) });
    }
    return;
  }
  // Multi-valued complex: the i-th value goes to the i-th element of this rule's group.
  let elements = groups.get(target.groupKey);
  if (!elements) groups.set(target.groupKey, (elements = []));
  const list = Array.isArray(container[name])
    ? (container[name] as JsonObject[])
    : setOwn(container, name, []);
  values.forEach((v, i) => {
    let element = elements![i];
    if (!element) {
      element = { ...(target.template ?? {}) };
      if (primary && i === 0) element.primary = true;
      elements!.push(element);
      list.push(element);
    }
    if (sub) setOwn(element, sub.name, coerce(sub, v));
    else if (isObject(v))
      for (const [k, x] of Object.entries({ ...v, ...(target.template ?? {}) })) setOwn(element, k, x);
    else setOwn(element, 'value', v);
  });
}

/** Source values are mostly strings (LDAP has no types); convert where the schema type is clear. */
function coerce(attribute: AttributeDefinition, value: unknown): unknown {
  if (Buffer.isBuffer(value)) return value.toString('base64');
  if (typeof value !== 'string') {
    if (attribute.type === 'string' && (typeof value === 'number' || typeof value === 'bigint'))
      return String(value);
    return value;
  }
  switch (attribute.type) {
    case 'boolean': {
      const lower = value.trim().toLowerCase();
      return lower === 'true' || lower === '1' ? true : lower === 'false' || lower === '0' ? false : value;
    }
    case 'integer':
      return /^-?\d{1,15}$/.test(value.trim()) ? Number(value.trim()) : value;
    case 'decimal':
      return value.trim() !== '' && Number.isFinite(Number(value)) ? Number(value) : value;
    case 'dateTime':
      return toIsoDateTime(value);
    default:
      return value;
  }
}

/** LDAP GeneralizedTime (`20240102030405Z`, `20240102030405.5+0100`) → xsd:dateTime; anything else as is. */
export function toIsoDateTime(value: string): string {
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})?(\d{2})?(?:[.,](\d+))?(Z|[+-]\d{2}(?:\d{2})?)$/.exec(
    value.trim(),
  );
  if (!m) return value;
  const [, y, mo, d, h, mi = '00', s = '00', frac, tz] = m;
  const zone = tz === 'Z' ? 'Z' : `${tz!.slice(0, 3)}:${tz!.slice(3, 5) || '00'}`;
  const iso = `${y}-${mo}-${d}T${h}:${mi}:${s}${frac ? `.${frac.slice(0, 3)}` : ''}${zone}`;
  return parseDateTime(iso) === undefined ? value : new Date(parseDateTime(iso)!).toISOString();
}

function isEmpty(value: unknown): boolean {
  return (
    value === undefined ||
    value === null ||
    value === '' ||
    (Array.isArray(value) && value.every((v) => v === undefined || v === null || v === ''))
  );
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !Buffer.isBuffer(value);
}
