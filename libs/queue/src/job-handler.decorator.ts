import { SetMetadata } from '@nestjs/common';
import type { JobName } from './jobs';

export const JOB_HANDLER = Symbol('JOB_HANDLER');

/**
 * Marks a provider method as the handler of a job. The worker discovers handlers at boot and
 * refuses to start if a consumed job has none or two. A handler throws to retry; it throws
 * `UnrecoverableError` (re-exported here) for a failure that retrying cannot fix.
 */
export const OnJob = (name: JobName): MethodDecorator => SetMetadata(JOB_HANDLER, name);

export { UnrecoverableError } from 'bullmq';
