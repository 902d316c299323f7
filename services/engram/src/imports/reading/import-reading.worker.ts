/**
 * Worker-thread entry of one reading pass of an import: opening, detection, parsing and chunking run
 * here, so however slow or hostile a file is to read, the api's event loop keeps answering. Units are
 * handed over one batch per `pull`, so a slow store holds back the reading instead of queueing it.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { ImportRejected } from '../imports.errors';
import { openReading, ReadRequest, ReadUnit } from './import-reading';
import type { ReaderMessage } from './import-reader';

const port = parentPort!;
const post = (message: ReaderMessage) => port.postMessage(message);

async function main(): Promise<void> {
  const { header, units } = await openReading(workerData as ReadRequest);
  post({ type: 'opened', header });
  const iterator = units[Symbol.asyncIterator]();
  port.on('message', (command: 'pull' | 'stop') => {
    if (command === 'stop') {
      void iterator.return?.(undefined).finally(() => port.close());
      return;
    }
    iterator
      .next()
      .then((next) => post(next.done ? { type: 'done' } : { type: 'unit', unit: next.value as ReadUnit }), fail);
  });
}

function fail(error: unknown): void {
  const rejected = error instanceof ImportRejected;
  post({ type: rejected ? 'rejected' : 'failed', message: (error as Error).message ?? String(error) });
}

main().catch(fail);
