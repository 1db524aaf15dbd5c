import { parentPort, workerData } from 'node:worker_threads';
import { closedLoad, openLoad, type ClosedLoad, type OpenLoad } from './load-client';

/**
 * A load generator on its own thread: the callers' event loop and heap are not the server's
 * (the hub and the baseline run in the benchmark's main thread), as with a real SCIM client.
 */
type Job =
  | { kind: 'closed'; baseUrl: string; options: ClosedLoad }
  | { kind: 'open'; baseUrl: string; options: OpenLoad };

const job = workerData as Job;
const run = job.kind === 'closed' ? closedLoad(job.baseUrl, job.options) : openLoad(job.baseUrl, job.options);
run.then(
  (result) => parentPort!.postMessage({ result }),
  (error: Error) => parentPort!.postMessage({ error: error.message }),
);
