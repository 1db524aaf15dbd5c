export * from './jobs';
export * from './job-context';
export * from './job-handler.decorator';
export * from './job-queue.service';
export * from './queue.module';
export * from './redis-connection';
export * from './redis-probe.service';
