import type { AttributeMapping, TransformHook } from '../mapping/mapping.types';
import type { ResourceTypeSchemas } from '@hub/scim';

export type LdapBinaryEncoding = 'base64' | 'guid' | 'hex';

export interface LdapObjectConfig {
  /** One or more subtrees searched in turn. */
  readonly baseDns: readonly string[];
  /** Admin-written RFC 4515 filter, e.g. `(objectClass=inetOrgPerson)`. Checked when the connector is built. */
  readonly filter?: string;
  readonly scope?: 'sub' | 'one';
  readonly mapping: AttributeMapping;
  /** LDAP attribute copied to the record's `externalId` (e.g. `employeeNumber`). */
  readonly externalIdAttribute?: string;
}

export interface LdapGroupConfig extends LdapObjectConfig {
  /**
   * Where membership lives: `member` (groupOfNames, AD) or `uniqueMember` (groupOfUniqueNames) on
   * the group, or `memberOf` on the users (then each group's members are found with one search
   * `(&<user filter>(memberOf=<group DN>))`).
   */
  readonly membership?: 'member' | 'uniqueMember' | 'memberOf';
}

export interface LdapConnectorConfig {
  /** `ldap://host:389` or `ldaps://host:636`. */
  readonly url: string;
  /** Upgrade an `ldap://` connection with StartTLS before binding. */
  readonly startTls?: boolean;
  readonly tls?: {
    /** PEM of the CA(s) that signed the directory's certificate; the system store when omitted. */
    readonly caPem?: string;
    /** Name the certificate must carry when it differs from the URL's host. */
    readonly serverName?: string;
  };
  /** Simple bind. */
  readonly bindDn: string;
  readonly bindPassword: string;
  /**
   * Directory flavour, for deltas: `openldap` (and other RFC 4512 servers) filter on
   * `modifyTimestamp`, `activeDirectory` on `uSNChanged` from the DC's `highestCommittedUSN`.
   */
  readonly flavour?: 'openldap' | 'activeDirectory';
  /** `entryUUID` (OpenLDAP, default), `objectGUID` (AD, default there) or `dn`. */
  readonly keyAttribute?: string;
  readonly users?: LdapObjectConfig;
  readonly groups?: LdapGroupConfig;
  /** RFC 2696 page size; also the largest batch handed to the caller. Default 500. */
  readonly pageSize?: number;
  /** Attributes read as bytes and how to turn them into text. Default objectGUID → guid, jpegPhoto/thumbnailPhoto → base64, objectSid → hex. */
  readonly binaryAttributes?: Readonly<Record<string, LdapBinaryEncoding>>;
  /** Per-operation timeout. Default 60 s. */
  readonly timeoutMs?: number;
  readonly connectTimeoutMs?: number;
  /**
   * OpenLDAP deltas: the next delta starts this long before the pull started, covering clock
   * skew between the hub and the directory. Entries in the overlap are read twice (harmless).
   * Default 5 minutes.
   */
  readonly deltaOverlapMs?: number;
  /**
   * Entries kept in the DN → key cache used to resolve members (least recently used out).
   * Members not in it are looked up on the server. Default 20 000 (about 4 MB).
   */
  readonly memberCacheSize?: number;
  /**
   * The attribute that holds an entry's own DN, used to look up uncached members in batches (one
   * OR filter per 100 DNs): `entryDN` (OpenLDAP, the default) or `distinguishedName` (Active
   * Directory). `none` looks members up one base-scope read each.
   */
  readonly dnAttribute?: string;
  /** Keep the unmapped entry on each record (debugging). */
  readonly keepRaw?: boolean;
}

export interface LdapConnectorDeps {
  /** Schemas of the tenant, per resource type (built-ins when omitted). */
  readonly schemas?: { readonly User?: ResourceTypeSchemas; readonly Group?: ResourceTypeSchemas };
  readonly transform?: TransformHook;
  /** Clock, for tests. */
  readonly now?: () => Date;
}
