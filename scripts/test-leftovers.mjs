// A test run's own temporary folder, and the check that the run left nothing behind in it. Every spec and
// every process it starts inherits TMPDIR, so whatever is in the folder at the end, and whatever process
// still has it as TMPDIR, was left by this run; other runs on the machine have folders of their own.
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A new folder for one run's TMPDIR. */
export function makeRunTmpdir() {
  const folder = mkdtempSync(join(tmpdir(), 'engram-run-'));
  // Searchable by other users: the native PostgreSQL cluster runs as `postgres` in a folder made under it.
  chmodSync(folder, 0o711);
  return folder;
}

/**
 * Says on stderr what the run left: files and folders in its TMPDIR, processes still running with it
 * (which are then killed, since nothing else will stop them). Removes the folder either way; true when
 * something was left.
 */
export function reportLeftovers(folder) {
  const processes = processesWithTmpdir(folder);
  for (const { pid } of processes) killIfRunning(pid);
  const entries = readdirSync(folder).map((name) => `${name}${contentsOf(join(folder, name))}`);
  rmSync(folder, { recursive: true, force: true, maxRetries: 3 });
  if (entries.length === 0 && processes.length === 0) return false;
  console.error(
    `npm test: the specs left ${entries.length} entries in their TMPDIR and ${processes.length} processes:`,
  );
  for (const entry of entries) console.error(`  ${entry}`);
  for (const { pid, command } of processes) console.error(`  process ${pid} (killed): ${command}`);
  console.error('Make temporary folders with makeTempDir (testing/temp-dir.ts) and stop what a spec starts.');
  return true;
}

/** What a left-over folder holds, for telling which spec left it. */
function contentsOf(path) {
  try {
    const names = readdirSync(path);
    return names.length === 0 ? '/ (empty)' : `/ holds ${names.slice(0, 8).join(' ')}${names.length > 8 ? ' …' : ''}`;
  } catch {
    return '';
  }
}

/** Running processes whose TMPDIR is the folder or inside it (Linux /proc; none found elsewhere). */
function processesWithTmpdir(folder) {
  // The run's folder, or one made inside it (test/process-harness.ts gives the processes a spec starts one).
  const isOurs = (line) => line === `TMPDIR=${folder}` || line.startsWith(`TMPDIR=${folder}/`);
  const pids = readdirSafely('/proc').filter((name) => /^\d+$/.test(name) && Number(name) !== process.pid);
  return pids.flatMap((pid) => {
    try {
      const environment = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
      if (!environment.some(isOurs)) return [];
      const command = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
      return [{ pid: Number(pid), command }];
    } catch {
      return []; // gone meanwhile, or another user's
    }
  });
}

function killIfRunning(pid) {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // it has exited since
  }
}

function readdirSafely(path) {
  try {
    return readdirSync(path);
  } catch {
    return [];
  }
}
