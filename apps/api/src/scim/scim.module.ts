import { Module } from '@nestjs/common';
import { ScimPersistenceModule } from '@hub/persistence';
import { ScimBulkController } from './scim-bulk.controller';
import { ScimBulkService } from './scim-bulk.service';
import { ScimDefinitionsController } from './scim-definitions.controller';
import { ScimDiscoveryController } from './scim-discovery.controller';
import { ScimMeController } from './scim-me.controller';
import { ScimRateLimiter, ScimRequestGuard } from './scim-request.guard';
import { ScimResourceService } from './scim-resource.service';
import { ScimDeltaService } from './scim-delta.service';
import { ScimResourcesController } from './scim-resources.controller';
import { ScimSchemaService } from './scim-schema.service';

/** The inbound SCIM 2.0 server (`/scim/v2`) and its tenant administration (`/admin/v1/...`). */
@Module({
  imports: [ScimPersistenceModule],
  // Order matters: Express matches routes in registration order, and `/:endpoint` must come last.
  controllers: [
    ScimDiscoveryController,
    ScimMeController,
    ScimBulkController,
    ScimResourcesController,
    ScimDefinitionsController,
  ],
  providers: [
    ScimSchemaService,
    ScimResourceService,
    ScimDeltaService,
    ScimBulkService,
    ScimRateLimiter,
    ScimRequestGuard,
  ],
})
export class ScimModule {}
