import { Controller, Get, ServiceUnavailableException } from '@nestjs/common';
import { Scope } from '@hub/auth';
import { RequireScopes } from '../auth/auth.decorators';
import { OpenApiDocument } from './openapi-document';

/** The admin API's OpenAPI 3 document, for admins and their tooling (it describes tenant administration). */
@Controller('admin/v1/openapi.json')
export class OpenApiController {
  constructor(private readonly document: OpenApiDocument) {}

  @Get()
  @RequireScopes(Scope.Admin)
  get() {
    const document = this.document.get();
    if (!document) throw new ServiceUnavailableException('the OpenAPI document is not built yet');
    return document;
  }
}
