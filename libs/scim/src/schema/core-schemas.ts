import { ENTERPRISE_USER_URN, GROUP_URN, USER_URN } from '../constants';
import { bool, complex, dateTime, multiValuedComplex, ref, str, binary } from './attribute.builders';
import type { AttributeDefinition, ResourceTypeDefinition, SchemaDefinition } from './schema.types';

/**
 * RFC 7643 §3.1 common attributes. They belong to every resource type and are resolved as if
 * part of its core schema; they are not listed in /Schemas (RFC 7643 §7 leaves them out too).
 * `schemas` is modelled as a multi-valued reference so filters like
 * `schemas eq "urn:...:enterprise:2.0:User"` (RFC 7644 §3.4.2.2) validate and evaluate.
 */
export const COMMON_ATTRIBUTES: readonly AttributeDefinition[] = [
  ref('schemas', ['uri'], {
    description: 'The schema URIs of the resource.',
    multiValued: true,
    required: true,
    mutability: 'readOnly',
    returned: 'always',
  }),
  str('id', {
    description: 'A unique identifier for a SCIM resource as defined by the service provider.',
    caseExact: true,
    mutability: 'readOnly',
    returned: 'always',
    uniqueness: 'server',
  }),
  str('externalId', {
    description: 'A String that is an identifier for the resource as defined by the provisioning client.',
    caseExact: true,
  }),
  complex(
    'meta',
    [
      str('resourceType', { caseExact: true, mutability: 'readOnly' }),
      dateTime('created', { mutability: 'readOnly' }),
      dateTime('lastModified', { mutability: 'readOnly' }),
      ref('location', ['uri'], { caseExact: true, mutability: 'readOnly' }),
      str('version', { caseExact: true, mutability: 'readOnly' }),
    ],
    {
      description: 'A complex attribute containing resource metadata.',
      mutability: 'readOnly',
      returned: 'always',
    },
  ),
];

const EMAIL_TYPES = ['work', 'home', 'other'] as const;

/** RFC 7643 §4.1 and §8.7.1 "User" schema. */
export const USER_SCHEMA: SchemaDefinition = {
  id: USER_URN,
  name: 'User',
  description: 'User Account',
  attributes: [
    str('userName', {
      description:
        'Unique identifier for the User, typically used by the user to directly authenticate to the service provider.',
      required: true,
      uniqueness: 'server',
    }),
    complex(
      'name',
      [
        str('formatted', { description: 'The full name, including all middle names, titles, and suffixes.' }),
        str('familyName', { description: 'The family name of the User.' }),
        str('givenName', { description: 'The given name of the User.' }),
        str('middleName', { description: 'The middle name(s) of the User.' }),
        str('honorificPrefix', { description: 'The honorific prefix(es) of the User.' }),
        str('honorificSuffix', { description: 'The honorific suffix(es) of the User.' }),
      ],
      { description: "The components of the user's real name." },
    ),
    str('displayName', { description: 'The name of the User, suitable for display to end-users.' }),
    str('nickName', { description: 'The casual way to address the user in real life.' }),
    ref('profileUrl', ['external'], {
      description: "A fully qualified URL pointing to a page representing the User's online profile.",
    }),
    str('title', { description: 'The user\'s title, such as "Vice President."' }),
    str('userType', {
      description: 'Used to identify the relationship between the organization and the user.',
    }),
    str('preferredLanguage', { description: "Indicates the User's preferred written or spoken language." }),
    str('locale', {
      description: "Used to indicate the User's default location for purposes of localizing items.",
    }),
    str('timezone', { description: "The User's time zone in the 'Olson' time zone database format." }),
    bool('active', { description: "A Boolean value indicating the User's administrative status." }),
    str('password', {
      description: "The User's cleartext password, used to set or compare; never returned.",
      mutability: 'writeOnly',
      returned: 'never',
    }),
    multiValuedComplex('emails', 'Email addresses for the user.', {
      value: str('value', { description: 'Email addresses for the user.' }),
      types: EMAIL_TYPES,
    }),
    multiValuedComplex('phoneNumbers', 'Phone numbers for the User.', {
      value: str('value', { description: 'Phone number of the User.' }),
      types: ['work', 'home', 'mobile', 'fax', 'pager', 'other'],
    }),
    multiValuedComplex('ims', 'Instant messaging addresses for the User.', {
      value: str('value', { description: 'Instant messaging address for the User.' }),
      types: ['aim', 'gtalk', 'icq', 'xmpp', 'msn', 'skype', 'qq', 'yahoo'],
    }),
    multiValuedComplex('photos', 'URLs of photos of the User.', {
      value: ref('value', ['external'], { description: 'URL of a photo of the User.' }),
      types: ['photo', 'thumbnail'],
    }),
    complex(
      'addresses',
      [
        str('formatted', { description: 'The full mailing address, formatted for display.' }),
        str('streetAddress', { description: 'The full street address component.' }),
        str('locality', { description: 'The city or locality component.' }),
        str('region', { description: 'The state or region component.' }),
        str('postalCode', { description: 'The zip code or postal code component.' }),
        str('country', { description: 'The country name component.' }),
        str('type', {
          description: "A label indicating the attribute's function.",
          canonicalValues: EMAIL_TYPES,
        }),
        // §4.1.2 lists `primary` for addresses and RFC 7644 §3.5.2.3 sends it, though §8.7.1 omits it.
        bool('primary', { description: "A Boolean value indicating the 'primary' or preferred address." }),
      ],
      { description: 'A physical mailing address for this User.', multiValued: true },
    ),
    complex(
      'groups',
      [
        str('value', { description: "The identifier of the User's group.", mutability: 'readOnly' }),
        ref('$ref', ['User', 'Group'], {
          description: "The URI of the corresponding 'Group' resource.",
          mutability: 'readOnly',
        }),
        str('display', { description: 'A human-readable name.', mutability: 'readOnly' }),
        str('type', {
          description: "A label indicating the attribute's function, e.g., 'direct' or 'indirect'.",
          canonicalValues: ['direct', 'indirect'],
          mutability: 'readOnly',
        }),
      ],
      {
        description: 'A list of groups to which the user belongs.',
        multiValued: true,
        mutability: 'readOnly',
      },
    ),
    multiValuedComplex('entitlements', 'A list of entitlements for the User.', {
      value: str('value', { description: 'The value of an entitlement.' }),
    }),
    multiValuedComplex('roles', 'A list of roles for the User.', {
      value: str('value', { description: 'The value of a role.' }),
    }),
    multiValuedComplex('x509Certificates', 'A list of certificates issued to the User.', {
      value: binary('value', { description: 'The value of an X.509 certificate.' }),
    }),
  ],
};

/** RFC 7643 §4.2 and §8.7.1 "Group" schema. */
export const GROUP_SCHEMA: SchemaDefinition = {
  id: GROUP_URN,
  name: 'Group',
  description: 'Group',
  attributes: [
    // §4.2 prose says REQUIRED but the §8.7.1 representation says required: false; we follow §8.7.1.
    str('displayName', { description: 'A human-readable name for the Group.' }),
    complex(
      'members',
      [
        str('value', { description: 'Identifier of the member of this Group.', mutability: 'immutable' }),
        ref('$ref', ['User', 'Group'], {
          description: 'The URI corresponding to a SCIM resource that is a member of this Group.',
          mutability: 'immutable',
        }),
        str('type', {
          description: "A label indicating the type of resource, e.g., 'User' or 'Group'.",
          canonicalValues: ['User', 'Group'],
          mutability: 'immutable',
        }),
        // Not in §8.7.1, but §4.2 and every RFC 7644 example send it; readOnly so echoes are dropped.
        str('display', { description: 'A human-readable name for the member.', mutability: 'readOnly' }),
      ],
      { description: 'A list of members of the Group.', multiValued: true },
    ),
  ],
};

/** RFC 7643 §4.3 and §8.7.1 Enterprise User extension. */
export const ENTERPRISE_USER_SCHEMA: SchemaDefinition = {
  id: ENTERPRISE_USER_URN,
  name: 'EnterpriseUser',
  description: 'Enterprise User',
  attributes: [
    str('employeeNumber', { description: 'Numeric or alphanumeric identifier assigned to a person.' }),
    str('costCenter', { description: 'Identifies the name of a cost center.' }),
    str('organization', { description: 'Identifies the name of an organization.' }),
    str('division', { description: 'Identifies the name of a division.' }),
    str('department', { description: 'Identifies the name of a department.' }),
    complex(
      'manager',
      [
        str('value', { description: "The id of the SCIM resource representing the User's manager." }),
        ref('$ref', ['User'], {
          description: "The URI of the SCIM resource representing the User's manager.",
        }),
        str('displayName', { description: "The displayName of the User's manager.", mutability: 'readOnly' }),
      ],
      { description: "The User's manager." },
    ),
  ],
};

/** RFC 7643 §8.6 resource types. */
export const USER_RESOURCE_TYPE: ResourceTypeDefinition = {
  id: 'User',
  name: 'User',
  endpoint: '/Users',
  description: 'User Account',
  schema: USER_URN,
  schemaExtensions: [{ schema: ENTERPRISE_USER_URN, required: false }],
};

export const GROUP_RESOURCE_TYPE: ResourceTypeDefinition = {
  id: 'Group',
  name: 'Group',
  endpoint: '/Groups',
  description: 'Group',
  schema: GROUP_URN,
  schemaExtensions: [],
};
