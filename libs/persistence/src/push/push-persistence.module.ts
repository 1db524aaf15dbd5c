import { Module } from '@nestjs/common';
import { PushGoldenRepository } from './push-golden.repository';
import { PushLockRepository } from './push-lock.repository';
import { PushLogRepository } from './push-log.repository';
import { PushStepStore } from './push-step-store.repository';
import { TargetLinkRepository } from './target-link.repository';
import { TargetMembershipRepository } from './target-membership.repository';
import { TargetRepository } from './target.repository';

const providers = [
  TargetRepository,
  TargetLinkRepository,
  TargetMembershipRepository,
  PushLogRepository,
  PushGoldenRepository,
  PushLockRepository,
  PushStepStore,
];

/** Repositories of the push area. Needs PersistenceModule (PrismaService) in the application. */
@Module({ providers, exports: providers })
export class PushPersistenceModule {}
