/**
 * A tenant id that came from an authenticated principal or an operator command. Repository
 * methods take it as their first argument, so a query without a tenant does not compile.
 */
export type TenantId = string & { readonly __brand: 'TenantId' };

export const asTenantId = (id: string): TenantId => id as TenantId;
