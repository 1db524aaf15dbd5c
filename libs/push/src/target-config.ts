import { GROUP_URN, USER_URN } from '@hub/scim';

/**
 * The configuration of a downstream SCIM target as stored in `targets` (JSON columns) and as the
 * admin API accepts it. Secrets (token, password, client secret, mTLS key) are never part of
 * these shapes: they travel as `TargetSecrets`, sealed at rest and never returned.
 */

/** How the hub authenticates to the target; secret parts live in `TargetSecrets`. */
export type TargetAuth =
  | { readonly kind: 'none' }
  /** `TargetSecrets.token` as `Authorization: Bearer`. */
  | { readonly kind: 'bearer' }
  /** `username` + `TargetSecrets.password`. */
  | { readonly kind: 'basic'; readonly username: string }
  /** OAuth 2.0 client credentials with `TargetSecrets.clientSecret`; the token is cached until it expires. */
  | {
      readonly kind: 'oauth2';
      readonly tokenUrl: string;
      readonly clientId: string;
      readonly scope?: string;
      readonly audience?: string;
    };

export type TargetAuthKind = TargetAuth['kind'];
export const TARGET_AUTH_KINDS: readonly TargetAuthKind[] = ['none', 'bearer', 'basic', 'oauth2'];

/** TLS settings; mTLS when `clientCertPem` is set (its key is `TargetSecrets.clientKeyPem`). */
export interface TargetTls {
  readonly caPem?: string;
  /** Default true; false only for a lab target with a self-signed certificate. */
  readonly rejectUnauthorized?: boolean;
  readonly clientCertPem?: string;
  readonly serverName?: string;
}

/** The sealed part of a target's configuration. */
export interface TargetSecrets {
  readonly token?: string;
  readonly password?: string;
  readonly clientSecret?: string;
  readonly clientKeyPem?: string;
}

export const TARGET_SECRET_NAMES = ['token', 'password', 'clientSecret', 'clientKeyPem'] as const;

/** One target attribute and where its value comes from (a golden path or a transform). */
export interface MappedAttribute {
  /** Target attribute path: `userName`, `name.givenName`, `urn:…:enterprise:2.0:User:department`. */
  readonly target: string;
  /** Golden attribute path copied as is. */
  readonly source?: string;
  /** JSONata expression over the golden record (same sandbox as the engine's transforms). */
  readonly expression?: string;
}

export interface TargetMapping {
  /**
   * `identity`: the SCIM core attributes the target declares, unchanged (plus `externalId` = the
   * hub id); `explicit`: only `attributes`.
   */
  readonly mode: 'identity' | 'explicit';
  readonly attributes?: readonly MappedAttribute[];
}

/** Which golden records the target should hold ("assigned users and groups"). */
export interface TargetScope {
  /** SCIM filter evaluated on the golden record. */
  readonly filter?: string;
  /** Hub group ids: users directly in one of them, or (for Groups) these groups themselves. */
  readonly groups?: readonly string[];
}

/** What happens at the target when a record leaves scope or is deleted. */
export type DeprovisionPolicy = 'disable' | 'delete' | 'leave';
export const DEPROVISION_POLICIES: readonly DeprovisionPolicy[] = ['disable', 'delete', 'leave'];

export interface TargetResourceTypeConfig {
  readonly enabled: boolean;
  /** Endpoint at the target (`/Users`); default: discovered, else `/<Type>s`. */
  readonly endpoint?: string;
  /** Attribute matched before create: `userName` (Users), `displayName` (Groups), `externalId`. */
  readonly matchAttribute: string;
  readonly mapping: TargetMapping;
  readonly scope?: TargetScope;
  readonly deprovision: DeprovisionPolicy;
  /** Members added or removed per PATCH request (Groups). Default 100. */
  readonly memberBatchSize?: number;
}

/** Per hub resource type name (`User`, `Group`). */
export type TargetResourceTypes = Readonly<Record<string, TargetResourceTypeConfig>>;

/**
 * Users and groups sent as the hub holds them, matched by userName / displayName; users are
 * disabled and groups deleted when they leave (the demo apps' setting, and the tests').
 */
export function identityUsersAndGroups(
  group: Partial<TargetResourceTypeConfig> = {},
): Record<'User' | 'Group', TargetResourceTypeConfig> {
  const identity = { enabled: true, mapping: { mode: 'identity' } } as const;
  return {
    User: { ...identity, matchAttribute: 'userName', deprovision: 'disable' },
    Group: { ...identity, matchAttribute: 'displayName', deprovision: 'delete', ...group },
  };
}

/** Users only, as `identityUsersAndGroups` sends them; `user` adds to or changes their settings (`reconcile` too). */
export function identityUsers(
  user: Partial<TargetResourceTypeConfig> & { readonly reconcile?: unknown } = {},
): Record<'User', TargetResourceTypeConfig> {
  return { User: { ...identityUsersAndGroups().User, ...user } };
}

/** Deprovisioning pushes beyond `max(minimum, share × linked)` within the window are held. */
export interface DeletionThreshold {
  readonly share: number;
  readonly windowMinutes: number;
  readonly minimum: number;
}

export const DEFAULT_DELETION_THRESHOLD: DeletionThreshold = { share: 0.2, windowMinutes: 60, minimum: 10 };

/** active: pushing · quarantined: paused after persistent failure or 401/403 · held: deletion threshold reached. */
export type TargetState = 'active' | 'quarantined' | 'held';

/**
 * The JSON-storable form of what the target said about itself (`ScimCapabilities` with its map as
 * a record), as kept in `targets.capabilities`; `capability_overrides` is a partial of it.
 */
export interface StoredCapabilities {
  readonly patch: boolean;
  readonly filter: boolean;
  readonly etag: boolean;
  readonly bulk?: { readonly supported: boolean; readonly maxOperations: number };
  /** Most PATCH operations the target takes in one request (not in discovery; an override). */
  readonly maxPatchOperations?: number;
  readonly resourceTypes: Readonly<
    Record<
      string,
      { readonly endpoint: string; readonly schema: string; readonly extensions: readonly string[] }
    >
  >;
  /** Schema URNs the target publishes (empty: unknown, so identity mapping sends the hub's own). */
  readonly schemas: readonly string[];
}

/**
 * What a plain RFC 7644 server says about itself: PATCH and filters, the core User (and Group)
 * resource types at `/Users` (`/Groups`), no extensions. Stored on targets whose discovery a test
 * or benchmark skips (its in-memory servers are such servers).
 */
export function coreCapabilities(
  options: { groups?: boolean; etag?: boolean } = {},
): StoredCapabilities & Record<string, unknown> {
  const types = { User: { endpoint: '/Users', schema: USER_URN, extensions: [] } } as Record<
    string,
    { endpoint: string; schema: string; extensions: string[] }
  >;
  if (options.groups) types.Group = { endpoint: '/Groups', schema: GROUP_URN, extensions: [] };
  return {
    patch: true,
    filter: true,
    etag: options.etag ?? false,
    resourceTypes: types,
    schemas: Object.values(types).map((t) => t.schema),
  };
}

export const UNKNOWN_CAPABILITIES: StoredCapabilities = {
  patch: false,
  filter: true,
  etag: false,
  resourceTypes: {},
  schemas: [],
};

/** Link status (target_links.status). */
/** `confirmed`: a held deprovisioning an admin confirmed (passes the deletion threshold once). */
export type LinkStatus =
  'pending' | 'synced' | 'failed' | 'out_of_scope' | 'deprovisioned' | 'held' | 'confirmed';
