import { Module } from '@nestjs/common';
import { PushPersistenceModule } from '@hub/persistence';
import { PushLanes } from './push-lanes.service';
import { PushStepService } from './push-step.service';
import { PushService } from './push.service';
import { TargetContexts } from './target-context.service';
import { TargetGate } from './target-gate.service';

const providers = [TargetGate, TargetContexts, PushStepService, PushLanes, PushService];

/**
 * Active Push's services for the worker and the API (provision on demand, retries, the
 * deletion-threshold confirmation). Needs PersistenceModule, SecretsModule, QueueModule and
 * AggregationModule (TenantSchemas) in the application, as both apps have.
 */
@Module({ imports: [PushPersistenceModule], providers, exports: [...providers, PushPersistenceModule] })
export class PushModule {}
