import { Module } from '@nestjs/common';

/** Admin API of reconciliation runs and their reports. */
@Module({})
export class ReconcileAdminModule {}
