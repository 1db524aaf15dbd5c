import type { RunningPostgres, RunningRedis } from '../../libs/embedded/src';

/** Lives in jest's parent process between globalSetup and globalTeardown. */
export const harnessState: { postgres?: RunningPostgres; redis?: RunningRedis; workDir?: string } = {};
