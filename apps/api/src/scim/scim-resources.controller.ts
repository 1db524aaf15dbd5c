import { Body, Controller, Delete, Get, Param, Patch, Post, Put, Req, Res, UseGuards } from '@nestjs/common';
import type { HttpReply, HttpRequest } from '../common/http';
import { Scope, type Principal } from '@hub/auth';
import { CurrentPrincipal, RequireScopes } from '../auth/auth.decorators';
import { callerOf, header, projectionOf, send, sendJson } from './scim-http';
import { listRequestFromQuery, listRequestFromSearch, type ListRequest } from './scim-list-query';
import { ScimDeltaService } from './scim-delta.service';
import { ScimRequestGuard } from './scim-request.guard';
import { ScimResourceService, type ScimCaller } from './scim-resource.service';

/**
 * Every resource type at its endpoint (`/scim/v2/Users`, `/Groups`, `/Devices`, custom ones),
 * RFC 7644 §3.1-§3.6, and `/.search` at the root and per type (§3.4.3). The tenant is the
 * token's (ADR 0301).
 */
@Controller('scim/v2')
@UseGuards(ScimRequestGuard)
export class ScimResourcesController {
  constructor(
    private readonly service: ScimResourceService,
    private readonly delta: ScimDeltaService,
  ) {}

  /** A list, or a delta query when the request carries a deltaToken (ADR 0701). */
  private listOrDelta(caller: ScimCaller, endpoint: string | undefined, request: ListRequest) {
    return request.deltaToken !== undefined
      ? this.delta.list(caller, endpoint, request)
      : this.service.list(caller, endpoint, request);
  }

  @Post('.search')
  @RequireScopes(Scope.ScimRead, Scope.ScimWrite)
  async searchAll(
    @CurrentPrincipal() p: Principal,
    @Req() req: HttpRequest,
    @Body() body: unknown,
    @Res() res: HttpReply,
  ) {
    sendJson(res, 200, await this.listOrDelta(callerOf(req, p), undefined, listRequestFromSearch(body)));
  }

  @Get(':endpoint')
  @RequireScopes(Scope.ScimRead, Scope.ScimWrite)
  async list(
    @CurrentPrincipal() p: Principal,
    @Param('endpoint') endpoint: string,
    @Req() req: HttpRequest,
    @Res() res: HttpReply,
  ) {
    const request = listRequestFromQuery(req.query as Record<string, unknown>);
    sendJson(res, 200, await this.listOrDelta(callerOf(req, p), endpoint, request));
  }

  @Post(':endpoint/.search')
  @RequireScopes(Scope.ScimRead, Scope.ScimWrite)
  async search(
    @CurrentPrincipal() p: Principal,
    @Param('endpoint') endpoint: string,
    @Req() req: HttpRequest,
    @Body() body: unknown,
    @Res() res: HttpReply,
  ) {
    sendJson(res, 200, await this.listOrDelta(callerOf(req, p), endpoint, listRequestFromSearch(body)));
  }

  @Post(':endpoint')
  @RequireScopes(Scope.ScimWrite)
  async create(
    @CurrentPrincipal() p: Principal,
    @Param('endpoint') endpoint: string,
    @Req() req: HttpRequest,
    @Body() body: unknown,
    @Res() res: HttpReply,
  ) {
    send(res, await this.service.create(callerOf(req, p), endpoint, body, projectionOf(req)));
  }

  @Get(':endpoint/:id')
  @RequireScopes(Scope.ScimRead, Scope.ScimWrite)
  async get(
    @CurrentPrincipal() p: Principal,
    @Param('endpoint') endpoint: string,
    @Param('id') id: string,
    @Req() req: HttpRequest,
    @Res() res: HttpReply,
  ) {
    const ifNoneMatch = header(req, 'if-none-match');
    send(
      res,
      await this.service.get(callerOf(req, p), endpoint, id, {
        ...projectionOf(req),
        ...(ifNoneMatch !== undefined ? { ifNoneMatch } : {}),
      }),
    );
  }

  @Put(':endpoint/:id')
  @RequireScopes(Scope.ScimWrite)
  async replace(
    @CurrentPrincipal() p: Principal,
    @Param('endpoint') endpoint: string,
    @Param('id') id: string,
    @Req() req: HttpRequest,
    @Body() body: unknown,
    @Res() res: HttpReply,
  ) {
    send(res, await this.service.replace(callerOf(req, p), endpoint, id, body, writeOptions(req)));
  }

  @Patch(':endpoint/:id')
  @RequireScopes(Scope.ScimWrite)
  async patch(
    @CurrentPrincipal() p: Principal,
    @Param('endpoint') endpoint: string,
    @Param('id') id: string,
    @Req() req: HttpRequest,
    @Body() body: unknown,
    @Res() res: HttpReply,
  ) {
    send(res, await this.service.patch(callerOf(req, p), endpoint, id, body, writeOptions(req)));
  }

  @Delete(':endpoint/:id')
  @RequireScopes(Scope.ScimWrite)
  async delete(
    @CurrentPrincipal() p: Principal,
    @Param('endpoint') endpoint: string,
    @Param('id') id: string,
    @Req() req: HttpRequest,
    @Res() res: HttpReply,
  ) {
    const ifMatch = header(req, 'if-match');
    send(
      res,
      await this.service.delete(callerOf(req, p), endpoint, id, ifMatch !== undefined ? { ifMatch } : {}),
    );
  }
}

export function writeOptions(req: HttpRequest) {
  const ifMatch = header(req, 'if-match');
  return { ...projectionOf(req), ...(ifMatch !== undefined ? { ifMatch } : {}) };
}
