import { spawnSync } from 'node:child_process';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, tempDir } from '../process-harness';

export interface Instruction {
  keyword: string;
  args: string;
  /** Index of the build stage (FROM) the instruction belongs to. */
  stage: number;
}

/** A Dockerfile as instructions: comments dropped, continuation lines joined. */
export function parseDockerfile(name: string): Instruction[] {
  const text = readFileSync(join(ROOT, name), 'utf8');
  const logical = text
    .split('\n')
    .filter((line) => !/^\s*#/.test(line))
    .join('\n')
    .replace(/\\\n/g, ' ')
    .split('\n')
    .filter((line) => line.trim() !== '');
  let stage = -1;
  return logical.map((line) => {
    const [, keyword, args] = /^\s*([A-Za-z]+)\s+(.*)$/.exec(line) ?? [];
    if (!keyword) throw new Error(`${name}: cannot parse "${line}"`);
    if (keyword.toUpperCase() === 'FROM') stage++;
    return { keyword: keyword.toUpperCase(), args: args.trim().replace(/\s+/g, ' '), stage };
  });
}

export const all = (file: Instruction[], keyword: string) => file.filter((i) => i.keyword === keyword);
export const finalStage = (file: Instruction[]) =>
  file.filter((i) => i.stage === Math.max(...file.map((j) => j.stage)));
export const last = (file: Instruction[], keyword: string) => all(finalStage(file), keyword).at(-1);

/** ENV instructions of a stage as a map (KEY=value pairs, quotes removed). */
export function envOf(instructions: Instruction[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const { args } of all(instructions, 'ENV')) {
    for (const [, key, quoted, single, bare] of args.matchAll(/([A-Z_][A-Z0-9_]*)=(?:"([^"]*)"|'([^']*)'|(\S*))/g)) {
      env[key] = quoted ?? single ?? bare;
    }
  }
  return env;
}

/** The script an image's ENTRYPOINT runs, as its path in the repository (found through the COPY to it). */
export function entrypointScript(file: Instruction[]): string {
  const entrypoint = JSON.parse(last(file, 'ENTRYPOINT')!.args)[0] as string;
  const copy = all(file, 'COPY').find((i) => i.args.endsWith(` ${entrypoint}`))!;
  return join(ROOT, copy.args.split(' ').at(-2)!);
}

/**
 * Runs Dockerfile.vllm's entrypoint with `env` (nothing else) and a stand-in `vllm` on PATH that prints
 * the arguments it was started with, one per line.
 */
export function runVllmEntrypoint(env: Record<string, string>, extraArgs: string[] = []) {
  const bin = tempDir('engram-vllm-');
  writeFileSync(join(bin, 'vllm'), '#!/bin/sh\nfor arg in "$@"; do printf "%s\\n" "$arg"; done\n');
  chmodSync(join(bin, 'vllm'), 0o755);
  const script = entrypointScript(parseDockerfile('Dockerfile.vllm'));
  const result = spawnSync('sh', [script, ...extraArgs], {
    encoding: 'utf8',
    env: { ...env, PATH: `${bin}:/usr/bin:/bin` },
  });
  return { status: result.status, stderr: result.stderr, argv: result.stdout.trimEnd().split('\n') };
}
