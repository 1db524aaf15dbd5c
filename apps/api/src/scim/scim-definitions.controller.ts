import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  HttpException,
  Param,
  Post,
  Put,
  Req,
} from '@nestjs/common';
import type { HttpRequest } from '../common/http';
import { Scope, type Principal } from '@hub/auth';
import {
  ScimError,
  isSchemaUrn,
  parseResourceTypeDefinition,
  parseSchemaDefinition,
  renderResourceType,
  renderSchema,
} from '@hub/scim';
import {
  AuditRepository,
  ScimDefinitionRepository,
  TenantSettingsRepository,
  asTenantId,
  type ScimDefinitionRecord,
  type TenantId,
} from '@hub/persistence';
import { CurrentPrincipal, RequireScopes } from '../auth/auth.decorators';
import {
  BUILT_IN_SCHEMAS,
  BUILT_IN_TYPES,
  RESERVED_ENDPOINTS,
  ScimSchemaService,
} from './scim-schema.service';
import { ScimRateLimiter, rateLimitOf } from './scim-request.guard';

/**
 * Tenant administration of the SCIM server: extension schemas and custom resource types
 * (validated by libs/scim, stored, then served, validated and filtered like the core ones), and
 * the SCIM settings (rate limit, self-service attributes). Admin JSON errors, not SCIM ones.
 */
@Controller('admin/v1')
@RequireScopes(Scope.Admin)
export class ScimDefinitionsController {
  constructor(
    private readonly definitions: ScimDefinitionRepository,
    private readonly schemas: ScimSchemaService,
    private readonly audit: AuditRepository,
    private readonly settings: TenantSettingsRepository,
    private readonly limiter: ScimRateLimiter,
  ) {}

  @Get('schemas')
  async listSchemas(@CurrentPrincipal() p: Principal) {
    const rows = await this.definitions.list(asTenantId(p.tenantId));
    return {
      builtIn: BUILT_IN_SCHEMAS.map((s) => s.id),
      items: rows
        .filter((r) => r.kind === 'schema')
        .map((r) => renderSchema(parseSchemaDefinition(r.definition))),
    };
  }

  @Post('schemas')
  @HttpCode(201)
  async putSchema(@CurrentPrincipal() p: Principal, @Req() req: HttpRequest, @Body() body: unknown) {
    const tenantId = asTenantId(p.tenantId);
    const definition = adminErrors(() => parseSchemaDefinition(body));
    if (BUILT_IN_SCHEMAS.some((s) => s.id.toLowerCase() === definition.id.toLowerCase()))
      throw new HttpException({ message: `Schema ${definition.id} is built in`, code: 'conflict' }, 409);
    const rows = await this.definitions.list(tenantId);
    const next = [
      ...rows.filter((r) => !(r.kind === 'schema' && r.key.toLowerCase() === definition.id.toLowerCase())),
      row('schema', definition.id, definition),
    ];
    adminErrors(() => this.schemas.buildStrict(next));
    await this.definitions.put(tenantId, 'schema', definition.id, definition);
    await this.changed(tenantId, p, req, 'scim.schema.saved', definition.id);
    return renderSchema(definition);
  }

  @Delete('schemas/:id')
  @HttpCode(204)
  async deleteSchema(@CurrentPrincipal() p: Principal, @Req() req: HttpRequest, @Param('id') id: string) {
    const tenantId = asTenantId(p.tenantId);
    if (!isSchemaUrn(id)) throw new HttpException({ message: 'Not a schema URN', code: 'bad_request' }, 400);
    const rows = await this.definitions.list(tenantId);
    if (!rows.some((r) => r.kind === 'schema' && r.key.toLowerCase() === id.toLowerCase()))
      throw new HttpException(
        { message: `Schema ${id} is not one of this tenant's`, code: 'not_found' },
        404,
      );
    const users = rows.filter(
      (r) =>
        r.kind === 'resourceType' &&
        JSON.stringify(r.definition).toLowerCase().includes(`"${id.toLowerCase()}"`),
    );
    if (users.length > 0)
      throw new HttpException(
        { message: `Schema ${id} is used by resource type ${users[0]!.key}`, code: 'conflict' },
        409,
      );
    await this.definitions.remove(tenantId, 'schema', id);
    await this.changed(tenantId, p, req, 'scim.schema.deleted', id);
  }

  @Get('resource-types')
  async listTypes(@CurrentPrincipal() p: Principal) {
    const registry = await this.schemas.registry(asTenantId(p.tenantId));
    return { items: registry.listResourceTypes().map((t) => renderResourceType(t)) };
  }

  /**
   * A custom resource type, or (named like a built-in: User, Group, Device) the schema extensions
   * added to that built-in type.
   */
  @Post('resource-types')
  @HttpCode(201)
  async putType(@CurrentPrincipal() p: Principal, @Req() req: HttpRequest, @Body() body: unknown) {
    const tenantId = asTenantId(p.tenantId);
    const definition = adminErrors(() => parseResourceTypeDefinition(body));
    const builtIn = BUILT_IN_TYPES.find((t) => t.name.toLowerCase() === definition.name.toLowerCase());
    if (builtIn) {
      if (
        definition.schema.toLowerCase() !== builtIn.schema.toLowerCase() ||
        definition.endpoint.toLowerCase() !== builtIn.endpoint.toLowerCase()
      )
        throw new HttpException(
          {
            message: `${builtIn.name} is built in: only its schemaExtensions can be changed`,
            code: 'conflict',
          },
          409,
        );
    } else if (RESERVED_ENDPOINTS.includes(definition.endpoint.toLowerCase())) {
      throw new HttpException(
        { message: `Endpoint ${definition.endpoint} is reserved`, code: 'conflict' },
        409,
      );
    }
    const rows = await this.definitions.list(tenantId);
    const next = [
      ...rows.filter(
        (r) => !(r.kind === 'resourceType' && r.key.toLowerCase() === definition.name.toLowerCase()),
      ),
      row('resourceType', definition.name, definition),
    ];
    const registry = adminErrors(() => this.schemas.buildStrict(next));
    await this.definitions.put(tenantId, 'resourceType', definition.name, definition);
    await this.changed(tenantId, p, req, 'scim.resource_type.saved', definition.name);
    return renderResourceType(registry.resourceType(definition.name).resourceType);
  }

  @Delete('resource-types/:name')
  @HttpCode(204)
  async deleteType(@CurrentPrincipal() p: Principal, @Req() req: HttpRequest, @Param('name') name: string) {
    const tenantId = asTenantId(p.tenantId);
    const builtIn = BUILT_IN_TYPES.some((t) => t.name.toLowerCase() === name.toLowerCase());
    if (!builtIn && (await this.definitions.typeInUse(tenantId, name)))
      throw new HttpException(
        { message: `Resources of type ${name} still exist; delete them first`, code: 'conflict' },
        409,
      );
    if (!(await this.definitions.remove(tenantId, 'resourceType', name)))
      throw new HttpException(
        { message: `Resource type ${name} is not one of this tenant's`, code: 'not_found' },
        404,
      );
    await this.changed(tenantId, p, req, 'scim.resource_type.deleted', name);
  }

  @Get('scim-settings')
  async getSettings(@CurrentPrincipal() p: Principal) {
    const settings = await this.settings.get(asTenantId(p.tenantId));
    const { rate, burst } = rateLimitOf(settings);
    const scim = (settings.scim ?? {}) as Record<string, unknown>;
    return { ...scim, rateLimit: { requestsPerSecond: rate, burst } };
  }

  /** `{ rateLimit?: {requestsPerSecond, burst}, selfService?: {attributes: string[]} }`. */
  @Put('scim-settings')
  async putSettings(@CurrentPrincipal() p: Principal, @Req() req: HttpRequest, @Body() body: unknown) {
    const tenantId = asTenantId(p.tenantId);
    const value = validateSettings(body);
    await this.settings.setKey(tenantId, 'scim', value);
    this.limiter.forget(tenantId);
    await this.audit.append(tenantId, {
      actorType: 'api_client',
      actorId: p.clientId,
      action: 'scim.settings.saved',
      detail: value,
      requestId: requestIdOf(req),
    });
    return value;
  }

  private async changed(tenantId: TenantId, p: Principal, req: HttpRequest, action: string, key: string) {
    this.schemas.forget(tenantId);
    await this.audit.append(tenantId, {
      actorType: 'api_client',
      actorId: p.clientId,
      action,
      resourceType: action.startsWith('scim.schema') ? 'Schema' : 'ResourceType',
      resourceId: key,
      requestId: requestIdOf(req),
    });
  }
}

function row(kind: 'schema' | 'resourceType', key: string, definition: object): ScimDefinitionRecord {
  return { kind, key, definition: definition as Record<string, unknown>, updatedAt: new Date() };
}

/** libs/scim's errors become admin API errors with the same status and the scimType as code. */
function adminErrors<T>(fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    if (error instanceof ScimError)
      throw new HttpException({ message: error.message, code: error.scimType ?? 'invalid' }, error.status);
    throw error;
  }
}

function validateSettings(body: unknown): Record<string, unknown> {
  const fail = (message: string) => new HttpException({ message, code: 'bad_request' }, 400);
  if (body === null || typeof body !== 'object' || Array.isArray(body))
    throw fail('Settings must be a JSON object');
  const b = body as Record<string, unknown>;
  for (const key of Object.keys(b))
    if (!['rateLimit', 'selfService'].includes(key)) throw fail(`Unknown setting ${key}`);
  const out: Record<string, unknown> = {};
  if (b.rateLimit !== undefined) {
    const r = b.rateLimit as { requestsPerSecond?: unknown; burst?: unknown };
    const rps = r?.requestsPerSecond;
    const burst = r?.burst;
    if (typeof rps !== 'number' || !(rps > 0) || rps > 1_000_000)
      throw fail('rateLimit.requestsPerSecond must be a positive number');
    if (burst !== undefined && (typeof burst !== 'number' || !(burst >= 1) || burst > 10_000_000))
      throw fail('rateLimit.burst must be at least 1');
    out.rateLimit = { requestsPerSecond: rps, ...(burst !== undefined ? { burst } : {}) };
  }
  if (b.selfService !== undefined) {
    const attrs = (b.selfService as { attributes?: unknown })?.attributes;
    if (!Array.isArray(attrs) || !attrs.every((a) => typeof a === 'string' && a.length > 0 && a.length < 300))
      throw fail('selfService.attributes must be a list of attribute names');
    out.selfService = { attributes: attrs };
  }
  return out;
}

function requestIdOf(req: HttpRequest): string | null {
  const id = (req as { id?: unknown }).id;
  return id === undefined ? null : String(id);
}
