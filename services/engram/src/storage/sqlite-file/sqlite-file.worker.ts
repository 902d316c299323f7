/**
 * Worker-thread entry for heavy whole-file SQLite work (copy, integrity check, restore swap): each runs
 * on its own connection here, so the api's event loop keeps answering while it runs.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { SQLITE_FILE_TASKS, SqliteFileTaskName } from './sqlite-file.tasks';

const { task, args } = workerData as { task: SqliteFileTaskName; args: unknown[] };
Promise.resolve()
  .then(() => (SQLITE_FILE_TASKS[task] as (...a: unknown[]) => unknown)(...args))
  .then(
    (result) => parentPort!.postMessage({ ok: true, result }),
    (error: Error) => parentPort!.postMessage({ ok: false, message: error.message }),
  );
