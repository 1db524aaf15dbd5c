/** What an API client may do. A token carries one or more. */
export const Scope = {
  /** Tenant administration: sources, rules, targets, clients, audit. */
  Admin: 'admin',
  /** Read through the inbound SCIM server. */
  ScimRead: 'scim:read',
  /** Write through the inbound SCIM server (becomes the client's source's contribution). */
  ScimWrite: 'scim:write',
  /** Self-service through /Me only. */
  ScimMe: 'scim:me',
} as const;
export type Scope = (typeof Scope)[keyof typeof Scope];
export const ALL_SCOPES: readonly Scope[] = Object.values(Scope);

/** Who is calling: every authenticated request resolves to exactly this, or gets 401. */
export interface Principal {
  tenantId: string;
  clientId: string;
  clientName: string;
  sourceId: string | null;
  scopes: readonly Scope[];
  dialect: string;
  selfResourceId: string | null;
}
