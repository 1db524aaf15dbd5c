import { Module } from '@nestjs/common';
import { InboundSourceRepository } from './inbound-source.repository';
import { INBOUND_WRITE_GATEWAY } from './inbound-write.types';
import { PassThroughInboundWriter } from './pass-through-inbound.writer';
import { ScimDefinitionRepository } from './scim-definition.repository';
import { ScimResourceRepository } from './scim-resource.repository';
import { TenantSettingsRepository } from './tenant-settings.repository';

const providers = [
  ScimResourceRepository,
  ScimDefinitionRepository,
  InboundSourceRepository,
  TenantSettingsRepository,
  PassThroughInboundWriter,
  // Swap this binding for the aggregation engine's gateway; nothing above it changes.
  { provide: INBOUND_WRITE_GATEWAY, useExisting: PassThroughInboundWriter },
];

/** Repositories of the inbound SCIM server. Needs PersistenceModule (PrismaService, AuditRepository). */
@Module({ providers, exports: providers })
export class ScimPersistenceModule {}
