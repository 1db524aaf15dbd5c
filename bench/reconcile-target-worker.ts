import { parentPort, workerData } from 'node:worker_threads';
import { serveTarget } from './reconcile-target';

/**
 * The reconciliation benchmark's target on its own thread, as a real application runs apart from
 * the hub: posts its base URL, answers `{ drift: share }` with how many users it changed.
 */
const { n, set } = workerData as { n: number; set: string };
void serveTarget(n, set).then((target) => {
  parentPort!.postMessage({ baseUrl: target.baseUrl });
  parentPort!.on('message', (m: { drift?: number }) => {
    if (m.drift !== undefined) parentPort!.postMessage({ drifted: target.drift(m.drift) });
  });
});
