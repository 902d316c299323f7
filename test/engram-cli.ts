import { ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { freePort, ROOT } from './process-harness';

/** The build under test (ENGRAM_E2E_DIST lets a developer point at a private build). */
export const DIST = process.env.ENGRAM_E2E_DIST ?? join(ROOT, 'services', 'engram', 'dist');

/** A helper module of the service build (testing/…), loaded at run time from DIST. */
export function serviceHelper(path: string): any {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(join(DIST, path));
}

export interface RunningEngram {
  url: string;
  child: ChildProcess;
  output(): string;
  /** Sends the signal (SIGTERM by default) and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * Starts `engram <command>` (serve, worker, …) and resolves once it logs `readyText`. Its HTTP port is
 * MCP_HTTP_PORT (serve) or WORKER_HTTP_PORT (worker) from `env`, else a free one.
 */
export async function startEngram(
  command: string,
  env: Record<string, string>,
  dir: string,
  readyText: string,
): Promise<RunningEngram> {
  const port = (command === 'worker' ? env.WORKER_HTTP_PORT : env.MCP_HTTP_PORT) ?? String(await freePort());
  const child: ChildProcess = spawn(process.execPath, [join(DIST, 'cli', 'engram.js'), command], {
    cwd: dir,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: dir,
      LOG_LEVEL: 'info',
      MCP_HTTP_PORT: port,
      WORKER_HTTP_PORT: port,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', () => output.includes(readyText) && resolve());
    child.once('exit', (code) => reject(new Error(`engram ${command} exited with ${code}:\n${output}`)));
  });
  return {
    url: `http://127.0.0.1:${port}`,
    child,
    output: () => output,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill(signal);
      const [code] = await once(child, 'exit');
      return code as number | null;
    },
  };
}

export interface EngramRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `engram <args>` to its exit, in `cwd` with only PATH, HOME and `env` set. */
export async function runEngram(args: string[], env: Record<string, string>, cwd: string): Promise<EngramRun> {
  const child = spawn(process.execPath, [join(DIST, 'cli', 'engram.js'), ...args], {
    cwd,
    env: { PATH: process.env.PATH ?? '', HOME: cwd, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk) => (stdout += chunk));
  child.stderr!.on('data', (chunk) => (stderr += chunk));
  const [code] = await once(child, 'close');
  return { code: code as number, stdout, stderr };
}
