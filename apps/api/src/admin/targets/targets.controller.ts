import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Param,
  ParseUUIDPipe,
  Patch,
  Post,
  Put,
  Req,
} from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Scope, type Principal } from '@hub/auth';
import { CurrentPrincipal, RequireScopes } from '../../auth/auth.decorators';
import { CapabilityOverridesDto, CreateTargetDto, UpdateTargetDto } from './target.dto';
import { TargetAdminService } from './target-admin.service';
import { TargetProvisioningService } from './target-provisioning.service';

@ApiTags('targets')
@ApiBearerAuth()
@RequireScopes(Scope.Admin)
@Controller('admin/v1/targets')
export class TargetsController {
  constructor(
    private readonly service: TargetAdminService,
    private readonly provisioning: TargetProvisioningService,
  ) {}

  @Get()
  @ApiOperation({ summary: 'List push targets (secrets never returned, only their names)' })
  async list(@CurrentPrincipal() principal: Principal) {
    return { items: await this.service.list(principal) };
  }

  @Get(':id')
  get(@CurrentPrincipal() principal: Principal, @Param('id', ParseUUIDPipe) id: string) {
    return this.service.get(principal, id);
  }

  @Post()
  @ApiOperation({ summary: 'Add a downstream SCIM target' })
  create(
    @CurrentPrincipal() principal: Principal,
    @Body() dto: CreateTargetDto,
    @Req() req: { id?: string },
  ) {
    return this.service.create(principal, dto, req.id);
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Change a target; `secrets`, when given, replaces all stored secrets' })
  update(
    @CurrentPrincipal() principal: Principal,
    @Param('id', ParseUUIDPipe) id: string,
    @Body() dto: UpdateTargetDto,
    @Req() req: { id?: string },
  ) {
    return this.service.update(principal, id, dto, req.id);
  }

  @Post(':id/enable')
  @HttpCode(200)
  enable(
    @CurrentPrincipal() principal: Principal,
    @Param('id', ParseUUIDPipe) id: string,
    @Req() req: { id?: string },
  ) {
    return this.service.setEnabled(principal, id, true, req.id);
  }

  @Post(':id/disable')
  @HttpCode(200)
  @ApiOperation({ summary: 'Stop pushing to a target (its links and log stay)' })
  disable(
    @CurrentPrincipal() principal: Principal,
    @Param('id', ParseUUIDPipe) id: string,
    @Req() req: { id?: string },
  ) {
    return this.service.setEnabled(principal, id, false, req.id);
  }

  @Post(':id/discovery')
  @HttpCode(200)
  @ApiOperation({
    summary: "Read the target's /ServiceProviderConfig, /ResourceTypes and /Schemas and store them",
  })
  discover(
    @CurrentPrincipal() principal: Principal,
    @Param('id', ParseUUIDPipe) id: string,
    @Req() req: { id?: string },
  ) {
    return this.service.discover(principal, id, req.id);
  }

  @Put(':id/capability-overrides')
  @ApiOperation({ summary: 'Override what discovery found, where the target lies about itself ({} clears)' })
  setOverrides(
    @CurrentPrincipal() principal: Principal,
    @Param('id', ParseUUIDPipe) id: string,
    @Body() dto: CapabilityOverridesDto,
    @Req() req: { id?: string },
  ) {
    return this.service.setOverrides(principal, id, dto, req.id);
  }

  @Post(':id/probe')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Check what the target really does with a throwaway user (always deleted); stores the report',
  })
  probe(
    @CurrentPrincipal() principal: Principal,
    @Param('id', ParseUUIDPipe) id: string,
    @Req() req: { id?: string },
  ) {
    return this.service.probe(principal, id, req.id);
  }

  @Post(':id/provision/:resourceId')
  @HttpCode(200)
  @ApiOperation({
    summary:
      'Provision on demand: push one resource to this target now and return each step (scope, match, request, response)',
  })
  provision(
    @CurrentPrincipal() principal: Principal,
    @Param('id', ParseUUIDPipe) id: string,
    @Param('resourceId', ParseUUIDPipe) resourceId: string,
    @Req() req: { id?: string },
  ) {
    return this.provisioning.provision(principal, id, resourceId, req.id);
  }

  @Post(':id/retry')
  @HttpCode(200)
  @ApiOperation({ summary: 'Send every parked (failed) link of this target back to the queue' })
  retryAll(
    @CurrentPrincipal() principal: Principal,
    @Param('id', ParseUUIDPipe) id: string,
    @Req() req: { id?: string },
  ) {
    return this.provisioning.retry(principal, id, undefined, req.id);
  }

  @Post(':id/links/:resourceId/retry')
  @HttpCode(200)
  @ApiOperation({ summary: 'Send one parked (failed) link back to the queue' })
  retryOne(
    @CurrentPrincipal() principal: Principal,
    @Param('id', ParseUUIDPipe) id: string,
    @Param('resourceId', ParseUUIDPipe) resourceId: string,
    @Req() req: { id?: string },
  ) {
    return this.provisioning.retry(principal, id, resourceId, req.id);
  }

  @Post(':id/held/confirm')
  @HttpCode(200)
  @ApiOperation({ summary: 'Let the deprovisioning pushes held by the deletion threshold go out' })
  confirmHeld(
    @CurrentPrincipal() principal: Principal,
    @Param('id', ParseUUIDPipe) id: string,
    @Req() req: { id?: string },
  ) {
    return this.provisioning.confirmHeld(principal, id, req.id);
  }

  @Post(':id/held/discard')
  @HttpCode(200)
  @ApiOperation({ summary: 'Drop the held deprovisioning pushes (the accounts stay at the target)' })
  discardHeld(
    @CurrentPrincipal() principal: Principal,
    @Param('id', ParseUUIDPipe) id: string,
    @Req() req: { id?: string },
  ) {
    return this.provisioning.discardHeld(principal, id, req.id);
  }

  @Get(':id/status')
  @ApiOperation({
    summary: 'Counts (linked, pending, failed, held), state and reason, recent errors, queue depth',
  })
  status(@CurrentPrincipal() principal: Principal, @Param('id', ParseUUIDPipe) id: string) {
    return this.provisioning.status(principal, id);
  }

  @Delete(':id')
  @HttpCode(204)
  async delete(
    @CurrentPrincipal() principal: Principal,
    @Param('id', ParseUUIDPipe) id: string,
    @Req() req: { id?: string },
  ) {
    await this.service.delete(principal, id, req.id);
  }
}
