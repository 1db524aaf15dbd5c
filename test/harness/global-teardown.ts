import fs from 'node:fs';
import { harnessState } from './state';

export default async function globalTeardown(): Promise<void> {
  const { postgres, redis, workDir } = harnessState;
  harnessState.postgres = undefined;
  await Promise.allSettled([postgres?.stop(), redis?.stop()]);
  if (workDir) fs.rmSync(workDir, { recursive: true, force: true });
}
