import { Module } from '@nestjs/common';

const providers: never[] = [];

/** Repositories of the push area. Needs PersistenceModule (PrismaService) in the application. */
@Module({ providers, exports: providers })
export class PushPersistenceModule {}
