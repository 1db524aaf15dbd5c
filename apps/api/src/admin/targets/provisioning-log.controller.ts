import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Scope, type Principal } from '@hub/auth';
import { CurrentPrincipal, RequireScopes } from '../../auth/auth.decorators';
import { ProvisioningLogQueryDto } from './provisioning.dto';
import { TargetProvisioningService } from './target-provisioning.service';

@ApiTags('targets')
@ApiBearerAuth()
@RequireScopes(Scope.Admin)
@Controller('admin/v1/provisioning-log')
export class ProvisioningLogController {
  constructor(private readonly provisioning: TargetProvisioningService) {}

  @Get()
  @ApiOperation({ summary: 'Every push step, newest first: search by userName, resource and/or target' })
  search(@CurrentPrincipal() principal: Principal, @Query() query: ProvisioningLogQueryDto) {
    return this.provisioning.searchLog(principal, query);
  }
}
