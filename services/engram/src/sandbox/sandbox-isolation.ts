import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SandboxConfig } from '../config/config.types';
import { findBubblewrap, SandboxMode } from './sandbox-command';
import { ProbeReport, SandboxRunner } from './sandbox.runner';

export type IsolationReport =
  { available: true; mode: SandboxMode; landlockAbi: number; uid: number } | { available: false; problems: string[] };

/**
 * What every mode must show from inside before model code may run in it; the probe also reports one
 * `refused_<syscall>` check per call outside the seccomp allow-list it tried, and each must hold.
 */
const REQUIRED_CHECKS = [
  'runs_unprivileged',
  'no_capabilities',
  'environment_empty',
  'socket_blocked',
  'fork_blocked',
  'exec_blocked',
  'host_files_hidden',
  'memory_read_only',
  'ctypes_unloadable',
  'refused_syslog',
] as const;
/** Only Landlock can keep the interpreter's ctypes module unreadable; bubblewrap on an older kernel cannot. */
const LANDLOCK_CHECKS = new Set(['ctypes_unloadable']);

/**
 * Finds out at start-up what this kernel and container allow, by running the real harness in each
 * candidate mode against an empty folder and reading its self-checks. The first mode that passes
 * every check wins; when none does, the report lists why, and no model code will ever run.
 */
export async function detectIsolation(
  config: SandboxConfig,
  runner = new SandboxRunner(),
  scratchParent = tmpdir(),
): Promise<IsolationReport> {
  const modes: SandboxMode[] = config.mode === 'auto' ? ['bwrap', 'landlock'] : [config.mode];
  const problems: string[] = [];
  // Under the memory folder by default (hidden): writable even with a read-only root filesystem.
  await mkdir(scratchParent, { recursive: true });
  const scratch = await mkdtemp(join(scratchParent, '.sandbox-probe-'));
  try {
    for (const mode of modes) {
      if (mode === 'bwrap' && !findBubblewrap()) {
        problems.push('bwrap: bubblewrap is not installed');
        continue;
      }
      const outcome = await runner.run({
        mode,
        python: config.python,
        hostMemoryRoot: scratch,
        code: '',
        probe: true,
        limits: { timeoutMs: 10_000, memoryBytes: config.memoryBytes, maxValueChars: 100 },
        onCall: async () => ({ value: false }),
      });
      const failed = outcome.probe ? failedChecks(mode, outcome.probe) : [];
      if (outcome.probe && failed.length === 0) {
        return { available: true, mode, landlockAbi: outcome.probe.landlockAbi, uid: outcome.probe.uid };
      }
      const why = outcome.kind === 'error' ? outcome.error : `checks failed: ${failed.join(', ')}`;
      const detail = outcome.diagnostics.trim().split('\n').pop();
      problems.push(`${mode}: ${why}${detail ? ` (${detail})` : ''}`);
    }
    return { available: false, problems };
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

function failedChecks(mode: SandboxMode, probe: ProbeReport): string[] {
  const required = (check: string) => probe.landlockAbi > 0 || !LANDLOCK_CHECKS.has(check);
  const reported = Object.entries(probe.checks)
    .filter(([check, passed]) => passed !== true && required(check))
    .map(([check]) => check);
  const missing = REQUIRED_CHECKS.filter((check) => !(check in probe.checks) && required(check));
  const failed = [...reported, ...missing];
  if (probe.uid === 0) failed.push('runs_unprivileged');
  if (mode === 'landlock' && probe.landlockAbi < 1) failed.push('landlock');
  return [...new Set(failed)];
}
