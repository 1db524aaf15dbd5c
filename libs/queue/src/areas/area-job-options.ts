/** What an area may override of a job's BullMQ defaults (retries, backoff, retention). */
export interface JobDefaults {
  attempts: number;
  backoff: { type: 'exponential' | 'fixed'; delay: number };
  removeOnComplete: boolean | { count: number; age: number };
  removeOnFail: boolean | { count: number; age: number };
}

export type AreaJobOptions<Name extends string> = Partial<Record<Name, Partial<JobDefaults>>>;
