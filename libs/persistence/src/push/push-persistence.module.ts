import { Module } from '@nestjs/common';
import { PushGoldenRepository } from './push-golden.repository';
import { PushLogRepository } from './push-log.repository';
import { TargetLinkRepository } from './target-link.repository';
import { TargetMembershipRepository } from './target-membership.repository';
import { TargetRepository } from './target.repository';

const providers = [
  TargetRepository,
  TargetLinkRepository,
  TargetMembershipRepository,
  PushLogRepository,
  PushGoldenRepository,
];

/** Repositories of the push area. Needs PersistenceModule (PrismaService) in the application. */
@Module({ providers, exports: providers })
export class PushPersistenceModule {}
