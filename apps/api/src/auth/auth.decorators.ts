import { createParamDecorator, SetMetadata, type ExecutionContext } from '@nestjs/common';
import type { Principal, Scope } from '@hub/auth';

export const IS_PUBLIC = Symbol('IS_PUBLIC');
export const REQUIRED_SCOPES = Symbol('REQUIRED_SCOPES');

/** Opens a route to unauthenticated callers. Only health endpoints use it. */
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(IS_PUBLIC, true);

/**
 * The scopes a route needs (any one of them suffices). Routes that declare neither this nor
 * @Public are refused: nothing is open by accident.
 */
export const RequireScopes = (...scopes: Scope[]): MethodDecorator & ClassDecorator =>
  SetMetadata(REQUIRED_SCOPES, scopes);

export const CurrentPrincipal = createParamDecorator((_: unknown, ctx: ExecutionContext): Principal => {
  const principal = ctx.switchToHttp().getRequest<{ principal?: Principal }>().principal;
  if (!principal) throw new Error('CurrentPrincipal used on a route without authentication');
  return principal;
});
