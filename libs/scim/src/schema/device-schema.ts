import { DEVICE_URN } from '../constants';
import { bool, complex, ref, str } from './attribute.builders';
import type { ResourceTypeDefinition, SchemaDefinition } from './schema.types';

/**
 * RFC 9944 (Device Schema Extensions to SCIM) §3 core Device schema. Shipped as the built-in
 * example of a non-User resource type: it goes through the same registry, validation,
 * filtering and PATCH code as admin-defined types. The technology extensions (BLE, DPP, FDO,
 * Zigbee, ...) are left for admins to register.
 */
export const DEVICE_SCHEMA: SchemaDefinition = {
  id: DEVICE_URN,
  name: 'Device',
  description: 'Entry containing attributes about a device',
  attributes: [
    str('displayName', {
      description:
        "Human readable name of the device, suitable for displaying to end-users. For example, 'BLE Heart Monitor' etc.",
    }),
    bool('active', {
      description: 'A mutable boolean value indicating the device administrative status.',
      required: true,
    }),
    ref('mudUrl', ['external'], {
      description: 'A URL to MUD file of the device (RFC 8520).',
      caseExact: true,
    }),
    // The RFC's JSON schema appendix lists read-only group membership alongside the table above.
    complex(
      'groups',
      [
        str('value', { description: "The identifier of the Device's group.", mutability: 'readOnly' }),
        ref('$ref', ['User', 'Group', 'Device'], {
          description: "The URI of the corresponding 'Group' resource to which the device belongs.",
          mutability: 'readOnly',
        }),
        str('display', {
          description: 'A human-readable name, primarily used for display purposes.',
          mutability: 'readOnly',
        }),
        str('type', {
          description: "A label indicating the attribute's function, e.g., 'direct' or 'indirect'.",
          canonicalValues: ['direct', 'indirect'],
          mutability: 'readOnly',
        }),
      ],
      {
        description: 'A list of groups to which the device belongs.',
        multiValued: true,
        mutability: 'readOnly',
      },
    ),
  ],
};

export const DEVICE_RESOURCE_TYPE: ResourceTypeDefinition = {
  id: 'Device',
  name: 'Device',
  endpoint: '/Devices',
  description: 'Devices to be onboarded and managed',
  schema: DEVICE_URN,
  schemaExtensions: [],
};
