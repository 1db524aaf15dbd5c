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
  Req,
} from '@nestjs/common';
import { Scope, type Principal } from '@hub/auth';
import { CurrentPrincipal, RequireScopes } from '../auth/auth.decorators';
import { CreateSourceDto, UpdateSourceDto } from './source.dto';
import { SourceAdminService } from './source-admin.service';

@RequireScopes(Scope.Admin)
@Controller('admin/v1/sources')
export class SourcesController {
  constructor(private readonly service: SourceAdminService) {}

  @Get()
  async list(@CurrentPrincipal() principal: Principal) {
    return { items: await this.service.list(principal) };
  }

  @Get(':id')
  get(@CurrentPrincipal() principal: Principal, @Param('id', ParseUUIDPipe) id: string) {
    return this.service.get(principal, id);
  }

  @Post()
  create(
    @CurrentPrincipal() principal: Principal,
    @Body() dto: CreateSourceDto,
    @Req() req: { id?: string },
  ) {
    return this.service.create(principal, dto, req.id);
  }

  @Patch(':id')
  update(
    @CurrentPrincipal() principal: Principal,
    @Param('id', ParseUUIDPipe) id: string,
    @Body() dto: UpdateSourceDto,
    @Req() req: { id?: string },
  ) {
    return this.service.update(principal, id, dto, req.id);
  }

  /** Connects with the stored configuration and secrets; `ok: false` says what is wrong. */
  @Post(':id/test')
  @HttpCode(200)
  test(@CurrentPrincipal() principal: Principal, @Param('id', ParseUUIDPipe) id: string) {
    return this.service.test(principal, id);
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
