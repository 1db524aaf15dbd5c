import {
  ForbiddenException,
  Injectable,
  UnauthorizedException,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { bearerToken, type Principal, type Scope } from '@hub/auth';
import { ApiClientAuthenticator } from './api-client-authenticator.service';
import { IS_PUBLIC, REQUIRED_SCOPES } from './auth.decorators';

/** Global guard: every route is authenticated and scope-checked unless marked @Public. */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly authenticator: ApiClientAuthenticator,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets)) return true;

    const request = context
      .switchToHttp()
      .getRequest<{ headers: Record<string, string | undefined>; principal?: Principal }>();
    const token = bearerToken(request.headers.authorization);
    const principal = token ? await this.authenticator.authenticate(token) : null;
    if (!principal) throw new UnauthorizedException('A valid bearer token is required');
    request.principal = principal;

    const required = this.reflector.getAllAndOverride<Scope[] | undefined>(REQUIRED_SCOPES, targets);
    if (!required || required.length === 0)
      throw new ForbiddenException('This route declares no scope and is closed');
    if (!required.some((scope) => principal.scopes.includes(scope))) {
      throw new ForbiddenException(`This route needs one of the scopes: ${required.join(', ')}`);
    }
    return true;
  }
}
