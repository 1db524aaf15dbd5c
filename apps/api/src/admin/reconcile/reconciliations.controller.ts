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
import { asTenantId } from '@hub/persistence';
import {
  ReconcileRequestError,
  ReconcileRequests,
  ReconcileRunOpenError,
  ReconcileSettingsError,
  type ReconcileActor,
} from '@hub/reconcile';
import { CurrentPrincipal, RequireScopes } from '../../auth/auth.decorators';
import { RequestReconciliationDto, toReconcileView } from './reconcile.dto';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Reconciliation runs (ADR 0702): trigger per target or source, watch live, read the report. */
@RequireScopes(Scope.Admin)
@Controller('admin/v1')
export class ReconciliationsController {
  constructor(private readonly requests: ReconcileRequests) {}

  /** 202 with the queued run; 409 naming the open run when one is queued or running. */
  @Post('targets/:id/reconciliations')
  @HttpCode(202)
  async reconcileTarget(
    @CurrentPrincipal() principal: Principal,
    @Param('id', ParseUUIDPipe) id: string,
    @Body() dto: RequestReconciliationDto,
    @Req() req: { id?: string },
  ) {
    const run = await this.requests
      .request(asTenantId(principal.tenantId), { kind: 'target', id }, dto, actorOf(principal, req))
      .catch(httpError);
    return toReconcileView(run, false);
  }

  /** An upstream source compared with what the hub stored from it (report only). */
  @Post('sources/:id/reconciliations')
  @HttpCode(202)
  async reconcileSource(
    @CurrentPrincipal() principal: Principal,
    @Param('id', ParseUUIDPipe) id: string,
    @Body() dto: RequestReconciliationDto,
    @Req() req: { id?: string },
  ) {
    const run = await this.requests
      .request(
        asTenantId(principal.tenantId),
        { kind: 'source', id },
        { resourceType: dto.resourceType, mode: 'full', dryRun: true },
        actorOf(principal, req),
      )
      .catch(httpError);
    return toReconcileView(run, false);
  }

  @Get('targets/:id/reconciliation-settings/:resourceType')
  async settings(
    @CurrentPrincipal() principal: Principal,
    @Param('id', ParseUUIDPipe) id: string,
    @Param('resourceType') resourceType: string,
  ) {
    return this.requests.settings(asTenantId(principal.tenantId), id, resourceType).catch(httpError);
  }

  /** `{ schedule?, mode?, policy? }`: stored on the target's resource type, scheduler updated. */
  @Put('targets/:id/reconciliation-settings/:resourceType')
  async saveSettings(
    @CurrentPrincipal() principal: Principal,
    @Param('id', ParseUUIDPipe) id: string,
    @Param('resourceType') resourceType: string,
    @Body() body: unknown,
    @Req() req: { id?: string },
  ) {
    return this.requests
      .saveSettings(asTenantId(principal.tenantId), id, resourceType, body, actorOf(principal, req))
      .catch(httpError);
  }

  @Get('reconciliations')
  async list(
    @CurrentPrincipal() principal: Principal,
    @Query('targetId') targetId?: string,
    @Query('sourceId') sourceId?: string,
    @Query('limit') limit?: string,
  ) {
    const n = limit === undefined ? 50 : Number(limit);
    if (!Number.isInteger(n) || n < 1 || n > 500)
      throw new BadRequestException('limit must be an integer from 1 to 500');
    for (const [name, v] of [
      ['targetId', targetId],
      ['sourceId', sourceId],
    ] as const)
      if (v !== undefined && !UUID.test(v)) throw new BadRequestException(`${name} must be a UUID`);
    const runs = await this.requests.list(asTenantId(principal.tenantId), {
      limit: n,
      ...(targetId ? { targetId } : {}),
      ...(sourceId ? { sourceId } : {}),
    });
    return { items: runs.map((r) => toReconcileView(r, false)) };
  }

  /** One run with live progress, counts per class, samples with differences, action outcomes. */
  @Get('reconciliations/:runId')
  async get(@CurrentPrincipal() principal: Principal, @Param('runId', ParseUUIDPipe) runId: string) {
    return toReconcileView(
      await this.requests.get(asTenantId(principal.tenantId), runId).catch(httpError),
      true,
    );
  }
}

function actorOf(principal: Principal, req: { id?: string }): ReconcileActor {
  return { type: 'api_client', id: principal.clientId, ...(req.id ? { requestId: req.id } : {}) };
}

function httpError(error: unknown): never {
  if (error instanceof ReconcileRunOpenError)
    throw new ConflictException({
      code: 'reconciliation_open',
      message: error.message,
      details: { openRunId: error.openRunId },
    });
  if (error instanceof ReconcileSettingsError)
    throw new BadRequestException({
      code: 'invalid_settings',
      message: error.message,
      details: { issues: error.issues },
    });
  if (error instanceof ReconcileRequestError) {
    switch (error.reason) {
      case 'not_found':
      case 'run_not_found':
        throw new NotFoundException(error.message);
      case 'not_provisioned':
      case 'not_pullable':
        throw new BadRequestException({ code: error.reason, message: error.message });
      case 'disabled':
        throw new ConflictException({ code: 'disabled', message: error.message });
    }
  }
  throw error;
}
