import { Body, Controller, Delete, Get, Patch, Put, Req, Res, UseGuards } from '@nestjs/common';
import type { HttpReply, HttpRequest } from '../common/http';
import { Scope, type Principal } from '@hub/auth';
import { ForbiddenError, NotFoundError, type ResourceTypeSchemas } from '@hub/scim';
import {
  InboundSourceRepository,
  TenantSettingsRepository,
  asTenantId,
  canonicalJson,
  type SourceView,
} from '@hub/persistence';
import { CurrentPrincipal, RequireScopes } from '../auth/auth.decorators';
import { DEFAULT_SELF_SERVICE_ATTRIBUTES } from './scim-constants';
import { callerOf, header, projectionOf, send } from './scim-http';
import { ScimRequestGuard } from './scim-request.guard';
import { ScimResourceService, type ScimCaller } from './scim-resource.service';
import { writeOptions } from './scim-resources.controller';

/**
 * RFC 7644 §3.11 `/Me`: the User bound to the calling token (`selfResourceId`). Writes are the
 * user's own assertions (the tenant's self-service source) and may change only the attributes
 * the tenant lets users own (settings.scim.selfService.attributes).
 */
@Controller('scim/v2/Me')
@RequireScopes(Scope.ScimMe)
@UseGuards(ScimRequestGuard)
export class ScimMeController {
  constructor(
    private readonly service: ScimResourceService,
    private readonly sources: InboundSourceRepository,
    private readonly settings: TenantSettingsRepository,
  ) {}

  @Get()
  async get(@CurrentPrincipal() p: Principal, @Req() req: HttpRequest, @Res() res: HttpReply) {
    const ifNoneMatch = header(req, 'if-none-match');
    const caller = await this.caller(req, p);
    send(
      res,
      await this.service.get(caller, 'Users', this.self(p), {
        ...projectionOf(req),
        ...(ifNoneMatch !== undefined ? { ifNoneMatch } : {}),
      }),
    );
  }

  @Put()
  async replace(
    @CurrentPrincipal() p: Principal,
    @Req() req: HttpRequest,
    @Body() body: unknown,
    @Res() res: HttpReply,
  ) {
    const caller = await this.caller(req, p);
    const approve = await this.policy(p);
    send(
      res,
      await this.service.replace(caller, 'Users', this.self(p), body, { ...writeOptions(req), approve }),
    );
  }

  @Patch()
  async patch(
    @CurrentPrincipal() p: Principal,
    @Req() req: HttpRequest,
    @Body() body: unknown,
    @Res() res: HttpReply,
  ) {
    const caller = await this.caller(req, p);
    const approve = await this.policy(p);
    send(
      res,
      await this.service.patch(caller, 'Users', this.self(p), body, { ...writeOptions(req), approve }),
    );
  }

  @Delete()
  remove(@CurrentPrincipal() p: Principal): never {
    this.self(p);
    throw new ForbiddenError('A self-service token cannot delete its user');
  }

  private self(p: Principal): string {
    if (!p.selfResourceId)
      throw new NotFoundError('This token is not bound to a user, so /Me has no resource');
    return p.selfResourceId;
  }

  private async caller(req: HttpRequest, p: Principal): Promise<ScimCaller> {
    const sourceId = await this.sources.selfService(asTenantId(p.tenantId));
    return { ...callerOf(req, p, 'scim:/Me'), sourceId };
  }

  /** Refuses a change that touches an attribute users may not own. */
  private async policy(p: Principal) {
    const settings = await this.settings.get(asTenantId(p.tenantId));
    const configured = (settings.scim as { selfService?: { attributes?: unknown } } | undefined)?.selfService
      ?.attributes;
    const allowed = new Set(
      (Array.isArray(configured)
        ? configured.filter((a): a is string => typeof a === 'string')
        : DEFAULT_SELF_SERVICE_ATTRIBUTES
      ).map((a) => a.toLowerCase()),
    );
    return (before: SourceView, after: SourceView, view: ResourceTypeSchemas) => {
      const changed = changedAttributes(before.attributes, after.attributes, view);
      if (before.externalId !== after.externalId) changed.push('externalId');
      const refused = changed.filter((name) => !allowed.has(name.toLowerCase()));
      if (refused.length > 0)
        throw new ForbiddenError(`Users may not change ${refused.join(', ')} through /Me in this tenant`);
    };
  }
}

/** Names of changed attributes: core ones by name, extension ones as `urn:...:name`. */
export function changedAttributes(
  before: Record<string, unknown>,
  after: Record<string, unknown>,
  view: ResourceTypeSchemas,
): string[] {
  const out: string[] = [];
  for (const key of new Set([...Object.keys(before), ...Object.keys(after)])) {
    if (key === 'schemas') continue;
    const ext = key.includes(':') ? view.findSchema(key) : undefined;
    if (ext?.extension) {
      const a = (before[key] ?? {}) as Record<string, unknown>;
      const b = (after[key] ?? {}) as Record<string, unknown>;
      for (const sub of new Set([...Object.keys(a), ...Object.keys(b)]))
        if (canonicalJson(a[sub]) !== canonicalJson(b[sub])) out.push(`${ext.definition.id}:${sub}`);
      continue;
    }
    if (canonicalJson(before[key]) !== canonicalJson(after[key])) out.push(key);
  }
  return out;
}
