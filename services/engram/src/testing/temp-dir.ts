import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const made = new Set<string>();

/**
 * A new folder for a test's files under the temporary directory (TMPDIR), removed when the test process
 * exits: a test that fails, returns early or has no after-hook still leaves nothing behind, nor does a spec
 * file the test runner stops (SIGTERM once it runs past --test-timeout, SIGINT on Ctrl-C). A test may
 * remove it sooner.
 */
export function makeTempDir(prefix = 'engram-test-'): string {
  if (made.size === 0) removeAtExit();
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.add(dir);
  return dir;
}

function removeAtExit(): void {
  process.once('exit', removeTempDirs);
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      removeTempDirs();
      // Then die of the signal as the process would have, unless the spec itself listens for it.
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    });
  }
}

function removeTempDirs(): void {
  for (const dir of made) rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
}
