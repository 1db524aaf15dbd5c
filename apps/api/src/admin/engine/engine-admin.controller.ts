import {
  BadRequestException,
  Body,
  ConflictException,
  Controller,
  Get,
  HttpCode,
  NotFoundException,
  Param,
  ParseUUIDPipe,
  Post,
  Put,
  Query,
  Req,
} from '@nestjs/common';
import { Scope, type Principal } from '@hub/auth';
import { EngineAdminError, EngineAdminService, TenantSchemas } from '@hub/aggregation';
import { RuleValidationError } from '@hub/engine';
import { asTenantId, type TenantId } from '@hub/persistence';
import { JobName, JobQueue } from '@hub/queue';
import { ScimError } from '@hub/scim';
import { CurrentPrincipal, RequireScopes } from '../../auth/auth.decorators';
import {
  CaseListQueryDto,
  EngineRulesDto,
  ExplanationQueryDto,
  ListQueryDto,
  PreviewQueryDto,
  ResolveCaseDto,
  UncorrelatedQueryDto,
} from './engine-rules.dto';

/**
 * The aggregation engine's admin API (ADR 0203): authority, correlation and lifecycle rules per
 * resource type (validated against the schema registry: 400 with each issue), previews that
 * change nothing, background recomputes with progress, explanations, correlation cases.
 */
@RequireScopes(Scope.Admin)
@Controller('admin/v1/engine')
export class EngineAdminController {
  constructor(
    private readonly engine: EngineAdminService,
    private readonly schemas: TenantSchemas,
    private readonly jobs: JobQueue,
  ) {}

  @Get('rules')
  async listRules(@CurrentPrincipal() p: Principal) {
    const tenantId = asTenantId(p.tenantId);
    const types = (await this.schemas.registry(tenantId)).listResourceTypes().map((t) => t.name);
    return { items: await Promise.all(types.map((t) => this.engine.rules(tenantId, t))) };
  }

  @Get('rules/:resourceType')
  async getRules(@CurrentPrincipal() p: Principal, @Param('resourceType') resourceType: string) {
    const tenantId = asTenantId(p.tenantId);
    return this.engine.rules(tenantId, await this.typeName(tenantId, resourceType));
  }

  @Put('rules/:resourceType')
  async saveRules(
    @CurrentPrincipal() p: Principal,
    @Param('resourceType') resourceType: string,
    @Body() dto: EngineRulesDto,
    @Req() req: { id?: string },
  ) {
    const tenantId = asTenantId(p.tenantId);
    const type = await this.typeName(tenantId, resourceType);
    const saved = await this.engine
      .saveRules(tenantId, type, dto, { clientId: p.clientId, requestId: req.id })
      .catch(rethrow);
    if (saved.recompute)
      await this.jobs.enqueue(
        JobName.EngineRecompute,
        { v: 1, tenantId, runId: saved.recompute.id },
        { jobId: `engine-recompute-${saved.recompute.id}` },
      );
    return saved;
  }

  /** What saving these rules would change, over a sample; nothing is written. */
  @Post('rules/:resourceType/preview')
  @HttpCode(200)
  async preview(
    @CurrentPrincipal() p: Principal,
    @Param('resourceType') resourceType: string,
    @Body() dto: EngineRulesDto,
    @Query() query: PreviewQueryDto,
  ) {
    const tenantId = asTenantId(p.tenantId);
    const type = await this.typeName(tenantId, resourceType);
    return this.engine.preview(tenantId, type, dto, query.limit).catch(rethrow);
  }

  @Get('recomputes')
  async listRecomputes(@CurrentPrincipal() p: Principal, @Query() query: ListQueryDto) {
    return { items: await this.engine.listRecomputes(asTenantId(p.tenantId), query.limit ?? 100) };
  }

  @Get('recomputes/:id')
  async getRecompute(@CurrentPrincipal() p: Principal, @Param('id', ParseUUIDPipe) id: string) {
    const run = await this.engine.getRecompute(asTenantId(p.tenantId), id);
    if (!run) throw new NotFoundException(`recompute ${id} not found`);
    return run;
  }

  /** "Why does Alice have department = Sales?": per attribute, source, rule, since when, who else says what. */
  @Get('resources/:id/explanation')
  async explanation(
    @CurrentPrincipal() p: Principal,
    @Param('id', ParseUUIDPipe) id: string,
    @Query() query: ExplanationQueryDto,
  ) {
    const paths = query.paths
      ?.split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    const found = await this.engine.explanation(asTenantId(p.tenantId), id, paths);
    if (!found) throw new NotFoundException(`resource ${id} not found`);
    return found;
  }

  @Get('uncorrelated')
  async uncorrelated(@CurrentPrincipal() p: Principal, @Query() query: UncorrelatedQueryDto) {
    return {
      items: await this.engine.uncorrelated(asTenantId(p.tenantId), query.resourceType, query.limit ?? 100),
    };
  }

  @Get('correlation-cases')
  async listCases(@CurrentPrincipal() p: Principal, @Query() query: CaseListQueryDto) {
    return { items: await this.engine.listCases(asTenantId(p.tenantId), query.status, query.limit ?? 100) };
  }

  @Get('correlation-cases/:id')
  async getCase(@CurrentPrincipal() p: Principal, @Param('id', ParseUUIDPipe) id: string) {
    const found = await this.engine.getCase(asTenantId(p.tenantId), id);
    if (!found) throw new NotFoundException(`correlation case ${id} not found`);
    return found;
  }

  /** Link to an existing record, create a new one, or ignore. */
  @Post('correlation-cases/:id/resolve')
  @HttpCode(200)
  async resolveCase(
    @CurrentPrincipal() p: Principal,
    @Param('id', ParseUUIDPipe) id: string,
    @Body() dto: ResolveCaseDto,
    @Req() req: { id?: string },
  ) {
    const action =
      dto.action === 'link'
        ? { action: 'link' as const, resourceId: dto.resourceId! }
        : { action: dto.action };
    return this.engine
      .resolveCase(asTenantId(p.tenantId), id, action, { clientId: p.clientId, requestId: req.id })
      .catch(rethrow);
  }

  private async typeName(tenantId: TenantId, name: string): Promise<string> {
    try {
      return (await this.schemas.registry(tenantId)).resourceType(name).name;
    } catch {
      throw new NotFoundException(`no resource type "${name}" in this tenant`);
    }
  }
}

/** Engine domain errors to HTTP: rule issues are a 400 naming each one. */
function rethrow(error: unknown): never {
  if (error instanceof RuleValidationError)
    throw new BadRequestException({
      code: 'invalid_rules',
      message: error.message,
      details: error.issues.map((i) => `${i.at}: ${i.message}`),
    });
  if (error instanceof EngineAdminError) {
    if (error.kind === 'not_found') throw new NotFoundException(error.message);
    if (error.kind === 'conflict') throw new ConflictException(error.message);
    throw new BadRequestException(error.message);
  }
  if (error instanceof ScimError && error.status === 400) throw new BadRequestException(error.message);
  throw error;
}
