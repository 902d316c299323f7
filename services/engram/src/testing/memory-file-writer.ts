import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { isDurableTemporary } from '../common/durable-file';

const WRITER = join(__dirname, 'memory-file-writer.child.js');

/**
 * Runs the memory file writer (memory-file-writer.child.ts) on the folder `dir` until it started its
 * `writes`-th write, kills it with SIGKILL `delayMs` later (a write takes tens of milliseconds: the kill
 * lands in its checks, its write, its rename or between writes), and returns the last version it acknowledged.
 */
export function killDuringWrite(dir: string, first: number, writes: number, delayMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const writer = spawn(process.execPath, [WRITER, dir, String(first)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    let errors = '';
    let killing: NodeJS.Timeout | undefined;
    writer.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (!killing && (output.match(/^writing /gm)?.length ?? 0) >= writes)
        killing = setTimeout(() => writer.kill('SIGKILL'), delayMs);
    });
    writer.stderr.on('data', (chunk: Buffer) => (errors += chunk.toString()));
    writer.on('error', reject);
    writer.on('exit', (code, signal) => {
      if (signal !== 'SIGKILL') return reject(new Error(`the writer exited (${code}) before it was killed: ${errors}`));
      const acks = [...output.matchAll(/^ack (\d+)$/gm)].map((match) => Number(match[1]));
      resolve(acks.at(-1) ?? first - 1);
    });
  });
}

/**
 * Kills the writer mid-write until a kill lands between its temporary file and the rename, and answers the
 * temporary file it left in `dir` (one not there before).
 */
export async function killLeavingTemporary(dir: string, random: () => number): Promise<string> {
  const before = new Set(temporariesIn(dir));
  let acknowledged = 0;
  for (let kill = 1; kill <= 100; kill++) {
    acknowledged = await killDuringWrite(dir, acknowledged + 1, 1, random() * 40);
    const left = temporariesIn(dir).find((name) => !before.has(name));
    if (left) return join(dir, left);
  }
  throw new Error('100 kills of the writer left no temporary file');
}

function temporariesIn(dir: string): string[] {
  return readdirSync(dir).filter(isDurableTemporary);
}
