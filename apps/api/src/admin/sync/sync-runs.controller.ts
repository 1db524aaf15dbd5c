import {
  Body,
  ConflictException,
  Controller,
  Get,
  HttpCode,
  NotFoundException,
  Param,
  ParseUUIDPipe,
  Post,
  Query,
  Req,
  BadRequestException,
} from '@nestjs/common';
import { Scope, type Principal } from '@hub/auth';
import { asTenantId } from '@hub/persistence';
import { SyncRequestError, SyncRequests, SyncRunOpenError } from '@hub/sync';
import { CurrentPrincipal, RequireScopes } from '../../auth/auth.decorators';
import { toRunView, TriggerRunDto } from './sync-run.dto';

/** Sync runs of a source: trigger, watch, confirm or discard held deletions (ADR 0503). */
@RequireScopes(Scope.Admin)
@Controller('admin/v1/sources/:id/runs')
export class SyncRunsController {
  constructor(private readonly requests: SyncRequests) {}

  /** 202 with the queued run; 409 naming the open run when one is queued, running or held. */
  @Post()
  @HttpCode(202)
  async trigger(
    @CurrentPrincipal() principal: Principal,
    @Param('id', ParseUUIDPipe) id: string,
    @Body() dto: TriggerRunDto,
    @Req() req: { id?: string },
  ) {
    const run = await this.requests
      .request(
        asTenantId(principal.tenantId),
        id,
        { ...(dto.mode ? { mode: dto.mode } : {}), trigger: 'manual' },
        { type: 'api_client', id: principal.clientId, ...(req.id ? { requestId: req.id } : {}) },
      )
      .catch(httpError);
    return toRunView(run, false);
  }

  @Get()
  async list(
    @CurrentPrincipal() principal: Principal,
    @Param('id', ParseUUIDPipe) id: string,
    @Query('limit') limit?: string,
  ) {
    const n = limit === undefined ? 50 : Number(limit);
    if (!Number.isInteger(n) || n < 1 || n > 500)
      throw new BadRequestException('limit must be an integer from 1 to 500');
    const runs = await this.requests.list(asTenantId(principal.tenantId), id, n).catch(httpError);
    return { items: runs.map((r) => toRunView(r, false)) };
  }

  @Get(':runId')
  async get(
    @CurrentPrincipal() principal: Principal,
    @Param('id', ParseUUIDPipe) id: string,
    @Param('runId', ParseUUIDPipe) runId: string,
  ) {
    return toRunView(
      await this.requests.get(asTenantId(principal.tenantId), id, runId).catch(httpError),
      true,
    );
  }

  /** Applies the held deletions (through a job) and completes the run. */
  @Post(':runId/confirm')
  @HttpCode(202)
  async confirm(
    @CurrentPrincipal() principal: Principal,
    @Param('id', ParseUUIDPipe) id: string,
    @Param('runId', ParseUUIDPipe) runId: string,
    @Req() req: { id?: string },
  ) {
    const run = await this.requests
      .confirm(asTenantId(principal.tenantId), id, runId, {
        type: 'api_client',
        id: principal.clientId,
        ...(req.id ? { requestId: req.id } : {}),
      })
      .catch(httpError);
    return toRunView(run, false);
  }

  /** Closes the held run without applying its deletions; the source's cursor stays where it was. */
  @Post(':runId/discard')
  @HttpCode(200)
  async discard(
    @CurrentPrincipal() principal: Principal,
    @Param('id', ParseUUIDPipe) id: string,
    @Param('runId', ParseUUIDPipe) runId: string,
    @Req() req: { id?: string },
  ) {
    const run = await this.requests
      .discard(asTenantId(principal.tenantId), id, runId, {
        type: 'api_client',
        id: principal.clientId,
        ...(req.id ? { requestId: req.id } : {}),
      })
      .catch(httpError);
    return toRunView(run, false);
  }
}

function httpError(error: unknown): never {
  if (error instanceof SyncRunOpenError)
    throw new ConflictException({
      code: 'run_open',
      message: `run ${error.openRunId} of this source is still open`,
      details: { openRunId: error.openRunId },
    });
  if (error instanceof SyncRequestError) {
    switch (error.reason) {
      case 'source_not_found':
      case 'run_not_found':
        throw new NotFoundException(error.message);
      case 'not_syncable':
        throw new BadRequestException({ code: 'not_syncable', message: error.message });
      case 'disabled':
        throw new ConflictException({ code: 'source_disabled', message: error.message });
      case 'enabled':
        throw new ConflictException({ code: 'source_enabled', message: error.message });
      case 'not_awaiting':
        throw new ConflictException({ code: 'run_not_awaiting_confirmation', message: error.message });
    }
  }
  throw error;
}
