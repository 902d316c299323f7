import { Worker } from 'node:worker_threads';
import { join } from 'node:path';
import { switchToStagedVectors } from './reindex-switch';
import { copyLiveDatabase, sealCopy, summariseDatabase } from './database-snapshot';
import { swapInDatabase } from './database-swap';
import { fileDigest } from './file-digest';

/** The whole-file operations that run on a connection of their own, off the calling thread. */
export const SQLITE_FILE_TASKS = {
  copyLiveDatabase,
  fileDigest,
  sealCopy,
  summariseDatabase,
  swapInDatabase,
  switchToStagedVectors,
};

export type SqliteFileTaskName = keyof typeof SQLITE_FILE_TASKS;
type Task<N extends SqliteFileTaskName> = (typeof SQLITE_FILE_TASKS)[N];

/** Runs one task in a fresh worker thread and resolves with its result (errors keep their message). */
export function runInSqliteThread<N extends SqliteFileTaskName>(
  task: N,
  ...args: Parameters<Task<N>>
): Promise<Awaited<ReturnType<Task<N>>>> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(join(__dirname, 'sqlite-file.worker.js'), { workerData: { task, args } });
    let settled = false;
    worker.once('message', (reply: { ok: true; result: never } | { ok: false; message: string }) => {
      settled = true;
      if (reply.ok) resolve(reply.result);
      else reject(new Error(reply.message));
      void worker.terminate();
    });
    worker.once('error', (error) => {
      settled = true;
      reject(error);
    });
    worker.once('exit', (code) => {
      if (!settled) reject(new Error(`SQLite task ${task} ended without an answer (exit ${code})`));
    });
  });
}
