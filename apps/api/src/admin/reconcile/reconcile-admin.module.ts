import { Module } from '@nestjs/common';
import { ReconcileModule } from '@hub/reconcile';
import { ReconciliationsController } from './reconciliations.controller';

/** Admin API of reconciliation runs, their reports and per-target settings (ADR 0702). */
@Module({ imports: [ReconcileModule], controllers: [ReconciliationsController] })
export class ReconcileAdminModule {}
