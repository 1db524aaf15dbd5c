import { InvalidFilterError } from '../errors/scim-error';
import { SchemaRegistry } from '../schema/schema.registry';
import { parseFilter } from './filter.parser';
import { printFilter } from './filter.printer';
import { validateFilter } from './filter.validator';

const registry = SchemaRegistry.withBuiltIns();
const users = registry.resourceType('User');
const devices = registry.resourceType('Device');
const validate = (text: string) => validateFilter(parseFilter(text), users);

describe('validateFilter', () => {
  it('attaches plain resolved attribute data for SQL translation', () => {
    expect(
      validate('urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "x"'),
    ).toEqual({
      kind: 'compare',
      op: 'eq',
      value: 'x',
      path: {
        uri: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User',
        attr: 'manager',
        subAttr: 'value',
      },
      attr: {
        schema: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User',
        extension: true,
        attribute: 'manager',
        subAttribute: 'value',
        type: 'string',
        caseExact: false,
        multiValued: false,
        jsonPath: ['urn:ietf:params:scim:schemas:extension:enterprise:2.0:User', 'manager', 'value'],
      },
    });
  });

  it('uses the schema spelling and marks implicit value and value-path scope', () => {
    const ast = validate('EMAILS co "x" and emails[TYPE eq "work"]');
    expect(ast).toMatchObject({
      left: {
        attr: {
          attribute: 'emails',
          subAttribute: 'value',
          implicitValue: true,
          multiValued: true,
          jsonPath: ['emails', 'value'],
        },
      },
      right: {
        kind: 'valuePath',
        attr: { attribute: 'emails', jsonPath: ['emails'] },
        filter: {
          attr: {
            attribute: 'emails',
            subAttribute: 'type',
            withinValuePath: true,
            jsonPath: ['emails', 'type'],
          },
        },
      },
    });
    expect(printFilter(ast)).toBe('EMAILS co "x" and emails[TYPE eq "work"]');
  });

  it('resolves common attributes and case-exactness', () => {
    expect(validate('id eq "a"')).toMatchObject({
      attr: { attribute: 'id', caseExact: true, schema: 'urn:ietf:params:scim:schemas:core:2.0:User' },
    });
    expect(validate('meta.lastModified gt "2011-05-13T04:42:34Z"')).toMatchObject({
      attr: { type: 'dateTime' },
    });
  });

  it('validates filters on the RFC 9944 Device type like any other', () => {
    expect(
      validateFilter(parseFilter('displayName co "BLE" and active eq true and mudUrl pr'), devices),
    ).toMatchObject({ kind: 'and' });
    expect(() => validateFilter(parseFilter('userName eq "x"'), devices)).toThrow(InvalidFilterError);
  });

  const invalid: [string, string][] = [
    ['unknown attribute', 'foo eq "x"'],
    ['unknown sub-attribute', 'name.foo eq "x"'],
    ['unqualified extension attribute (rfc7644 §3.10)', 'employeeNumber eq "1"'],
    ['unknown schema', 'urn:example:x:foo eq "1"'],
    ['extension itself', 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User eq "1"'],
    ['gt on boolean (rfc7644 §3.4.2.2)', 'active gt true'],
    ['gt on binary (rfc7644 §3.4.2.2)', 'x509Certificates.value gt "AA=="'],
    ['co on boolean', 'active co "t"'],
    ['string value for boolean', 'active eq "true"'],
    ['number for string', 'userName eq 1'],
    ['bad dateTime literal', 'meta.created gt "yesterday"'],
    ['co on dateTime', 'meta.created co "2011"'],
    ['null with ordering', 'title gt null'],
    ['never-returned attribute', 'password eq "x"'],
    ['value filter on simple attribute', 'userName[value eq "x"]'],
    ['sub-attribute in value filter that does not exist', 'emails[foo eq "x"]'],
    ['qualified name in value filter', 'emails[emails.type eq "x"]'],
    ['complex without value sub-attribute', 'name eq "x"'],
  ];
  it.each(invalid)('invalidFilter: %s', (_name, text) => {
    expect(() => validate(text)).toThrow(InvalidFilterError);
  });
});
