import { Controller, Get, Inject, Param, Res, UseGuards } from '@nestjs/common';
import type { HttpReply } from '../common/http';
import { Scope, type Principal } from '@hub/auth';
import { HUB_CONFIG, type HubConfig } from '@hub/config';
import {
  LIST_RESPONSE_URN,
  NotFoundError,
  SERVICE_PROVIDER_CONFIG_URN,
  renderResourceType,
  renderSchema,
} from '@hub/scim';
import { CurrentPrincipal, RequireScopes } from '../auth/auth.decorators';
import { SCIM_BASE_PATH, SCIM_LIMITS } from './scim-constants';
import { sendJson } from './scim-http';
import { ScimRequestGuard } from './scim-request.guard';
import { ScimResourceService } from './scim-resource.service';

const ANY_SCIM = [Scope.ScimRead, Scope.ScimWrite, Scope.ScimMe];

/** RFC 7644 §4: what this server supports, stated truthfully for the caller's tenant. */
@Controller('scim/v2')
@RequireScopes(...ANY_SCIM)
@UseGuards(ScimRequestGuard)
export class ScimDiscoveryController {
  constructor(
    @Inject(HUB_CONFIG) private readonly config: HubConfig,
    private readonly service: ScimResourceService,
  ) {}

  @Get('ServiceProviderConfig')
  serviceProviderConfig(@Res() res: HttpReply): void {
    sendJson(res, 200, this.spc());
  }

  @Get('ResourceTypes')
  async resourceTypes(@CurrentPrincipal() principal: Principal, @Res() res: HttpReply) {
    const registry = await this.service.registry({ principal });
    const items = registry.listResourceTypes().map((t) => renderResourceType(t, this.renderOptions()));
    sendJson(res, 200, list(items));
  }

  @Get('ResourceTypes/:name')
  async resourceType(
    @CurrentPrincipal() principal: Principal,
    @Param('name') name: string,
    @Res() res: HttpReply,
  ) {
    const registry = await this.service.registry({ principal });
    const type = registry
      .listResourceTypes()
      .find((t) => t.name.toLowerCase() === name.toLowerCase() || t.id.toLowerCase() === name.toLowerCase());
    if (!type) throw new NotFoundError(`Resource type "${name}" not found`);
    sendJson(res, 200, renderResourceType(type, this.renderOptions()));
  }

  @Get('Schemas')
  async schemas(@CurrentPrincipal() principal: Principal, @Res() res: HttpReply) {
    const registry = await this.service.registry({ principal });
    sendJson(res, 200, list(registry.listSchemas().map((s) => renderSchema(s, this.renderOptions()))));
  }

  @Get('Schemas/:id')
  async schema(@CurrentPrincipal() principal: Principal, @Param('id') id: string, @Res() res: HttpReply) {
    const registry = await this.service.registry({ principal });
    const schema = registry.getSchema(id);
    if (!schema) throw new NotFoundError(`Schema "${id}" not found`);
    sendJson(res, 200, renderSchema(schema, this.renderOptions()));
  }

  private renderOptions() {
    return { baseUrl: `${this.config.http.publicBaseUrl}${SCIM_BASE_PATH}` };
  }

  /** RFC 7643 §5 plus RFC 9865 §4 `pagination`. */
  private spc(): Record<string, unknown> {
    return {
      schemas: [SERVICE_PROVIDER_CONFIG_URN],
      documentationUri: 'https://www.rfc-editor.org/rfc/rfc7644',
      patch: { supported: true },
      bulk: {
        supported: true,
        maxOperations: SCIM_LIMITS.bulkMaxOperations,
        maxPayloadSize: this.config.http.bodyLimitBytes,
      },
      filter: { supported: true, maxResults: SCIM_LIMITS.maxPageSize },
      // Passwords are accepted on create and discarded (no target consumes them yet): not a password service.
      changePassword: { supported: false },
      sort: { supported: true },
      etag: { supported: true },
      pagination: {
        cursor: true,
        index: true,
        defaultPaginationMethod: 'index',
        defaultPageSize: SCIM_LIMITS.defaultPageSize,
        maxPageSize: SCIM_LIMITS.maxPageSize,
        cursorTimeout: SCIM_LIMITS.cursorTimeoutSeconds,
      },
      authenticationSchemes: [
        {
          type: 'oauthbearertoken',
          name: 'OAuth Bearer Token',
          description:
            'A hub API token (shub_...) sent as Authorization: Bearer; the token names the tenant.',
          primary: true,
        },
      ],
      meta: {
        resourceType: 'ServiceProviderConfig',
        location: `${this.config.http.publicBaseUrl}${SCIM_BASE_PATH}/ServiceProviderConfig`,
      },
    };
  }
}

function list(items: Record<string, unknown>[]): Record<string, unknown> {
  return {
    schemas: [LIST_RESPONSE_URN],
    totalResults: items.length,
    itemsPerPage: items.length,
    startIndex: 1,
    Resources: items,
  };
}
