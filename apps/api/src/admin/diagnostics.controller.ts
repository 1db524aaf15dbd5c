import {
  Body,
  Controller,
  Get,
  HttpCode,
  NotFoundException,
  Param,
  ParseUUIDPipe,
  Post,
} from '@nestjs/common';
import { IsInt, IsOptional, Max, Min } from 'class-validator';
import { Scope, type Principal } from '@hub/auth';
import { WorkerPingRepository, asTenantId } from '@hub/persistence';
import { JobName, JobQueue } from '@hub/queue';
import { CurrentPrincipal, RequireScopes } from '../auth/auth.decorators';

export class CreateWorkerPingDto {
  /** How long the worker holds the job; lets an operator watch a job in flight. */
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(60_000)
  holdMs?: number;
}

/** An end-to-end check an operator can run: API → Redis → worker → Postgres. */
@RequireScopes(Scope.Admin)
@Controller('admin/v1/diagnostics/worker-pings')
export class DiagnosticsController {
  constructor(
    private readonly pings: WorkerPingRepository,
    private readonly jobs: JobQueue,
  ) {}

  @Post()
  @HttpCode(202)
  async create(@CurrentPrincipal() principal: Principal, @Body() dto: CreateWorkerPingDto) {
    const tenantId = asTenantId(principal.tenantId);
    const ping = await this.pings.create(tenantId, dto.holdMs ?? 0);
    await this.jobs.enqueue(
      JobName.WorkerPing,
      { v: 1, tenantId, pingId: ping.id },
      { jobId: `ping-${ping.id}` },
    );
    return ping;
  }

  @Get(':id')
  async get(@CurrentPrincipal() principal: Principal, @Param('id', ParseUUIDPipe) id: string) {
    const ping = await this.pings.get(asTenantId(principal.tenantId), id);
    if (!ping) throw new NotFoundException(`worker ping ${id} does not exist`);
    return ping;
  }
}
