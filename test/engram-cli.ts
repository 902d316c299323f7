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
  output(): string;
  stop(): Promise<void>;
}

/** Starts `engram <command>` (serve, worker) on a free port and resolves once it logs `readyText`. */
export async function startEngram(
  command: string,
  env: Record<string, string>,
  dir: string,
  readyText: string,
): Promise<RunningEngram> {
  const port = String(await freePort());
  const child: ChildProcess = spawn(process.execPath, [join(DIST, 'cli', 'engram.js'), command], {
    cwd: dir,
    env: { PATH: process.env.PATH ?? '', HOME: dir, MCP_HTTP_PORT: port, WORKER_HTTP_PORT: port, ...env },
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
    output: () => output,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      await once(child, 'exit');
    },
  };
}
