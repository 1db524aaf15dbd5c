/** What a handler gets besides its payload. */
export interface JobContext {
  jobId: string;
  attempt: number;
  /** Aborted when the worker shuts down past its grace period; the job is then returned to the queue. */
  signal: AbortSignal;
  workerId: string;
}
