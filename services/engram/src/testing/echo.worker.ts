/**
 * Worker script for WorkerPool tests: answers like a model worker without loading a model.
 * Payload `{ text }` → `{ text, threadId }`; `exit` ends the thread mid-job; `fail` replies an error;
 * `marker` names a file written as the job ends, after `delayMs`.
 * workerData `failToLoad` reports a failed load; `afterFailure` then writes a marker file once a delay has passed.
 */
import { writeFileSync } from 'node:fs';
import { parentPort, threadId, workerData } from 'node:worker_threads';
import type { WorkerReply } from '../embeddings/worker-pool';

export interface EchoPayload {
  text: string;
  exit?: boolean;
  fail?: boolean;
  delayMs?: number;
  marker?: string;
}
export interface EchoResult {
  text: string;
  threadId: number;
}

const port = parentPort!;
const settings = workerData as { failToLoad?: boolean; afterFailure?: { delayMs: number; marker: string } } | undefined;
if (settings?.failToLoad) {
  port.postMessage({
    type: 'failed',
    message: 'scripted load failure',
  } satisfies WorkerReply<EchoResult>);
  // Loading work still in flight after the failure is reported: it finishes, then the thread ends.
  const after = settings.afterFailure;
  if (after) setTimeout(() => writeFileSync(after.marker, 'finished'), after.delayMs);
  port.close();
} else {
  port.on('message', ({ id, payload }: { id: number; payload: EchoPayload }) => {
    if (payload.exit) process.exit(3);
    setTimeout(() => {
      if (payload.marker) writeFileSync(payload.marker, 'finished');
      const reply: WorkerReply<EchoResult> = payload.fail
        ? { type: 'error', id, message: `cannot echo ${payload.text}` }
        : { type: 'done', id, result: { text: payload.text, threadId } };
      port.postMessage(reply);
    }, payload.delayMs ?? 0);
  });
  port.postMessage({ type: 'ready' } satisfies WorkerReply<EchoResult>);
}
