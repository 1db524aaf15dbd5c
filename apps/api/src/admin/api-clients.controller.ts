import { Body, Controller, Delete, Get, Param, ParseUUIDPipe, Post, Req } from '@nestjs/common';
import { Scope, type Principal } from '@hub/auth';
import { CurrentPrincipal, RequireScopes } from '../auth/auth.decorators';
import { CreateApiClientDto } from './api-client.dto';
import { ApiClientAdminService } from './api-client-admin.service';

@RequireScopes(Scope.Admin)
@Controller('admin/v1/api-clients')
export class ApiClientsController {
  constructor(private readonly service: ApiClientAdminService) {}

  @Get()
  async list(@CurrentPrincipal() principal: Principal) {
    return { items: await this.service.list(principal) };
  }

  @Post()
  create(
    @CurrentPrincipal() principal: Principal,
    @Body() dto: CreateApiClientDto,
    @Req() req: { id?: string },
  ) {
    return this.service.create(principal, dto, req.id);
  }

  @Delete(':id')
  revoke(
    @CurrentPrincipal() principal: Principal,
    @Param('id', ParseUUIDPipe) id: string,
    @Req() req: { id?: string },
  ) {
    return this.service.revoke(principal, id, req.id);
  }
}
