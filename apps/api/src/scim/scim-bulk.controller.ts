import { Body, Controller, Post, Req, Res, UseGuards } from '@nestjs/common';
import type { HttpReply, HttpRequest } from '../common/http';
import { Scope, type Principal } from '@hub/auth';
import { CurrentPrincipal, RequireScopes } from '../auth/auth.decorators';
import { callerOf, sendJson } from './scim-http';
import { ScimBulkService } from './scim-bulk.service';
import { ScimRequestGuard } from './scim-request.guard';

/** RFC 7644 §3.7: 200 with each operation's own status; 413 over maxOperations or maxPayloadSize. */
@Controller('scim/v2/Bulk')
@RequireScopes(Scope.ScimWrite)
@UseGuards(ScimRequestGuard)
export class ScimBulkController {
  constructor(private readonly bulk: ScimBulkService) {}

  @Post()
  async run(
    @CurrentPrincipal() p: Principal,
    @Req() req: HttpRequest,
    @Body() body: unknown,
    @Res() res: HttpReply,
  ) {
    sendJson(res, 200, await this.bulk.run(callerOf(req, p, 'scim:/Bulk'), body));
  }
}
