import { Module } from '@nestjs/common';

/** Admin API of push targets: configuration, discovery, dialect probe, links, provisioning log. */
@Module({})
export class TargetsAdminModule {}
