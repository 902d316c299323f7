import { createWriteStream } from 'node:fs';
import { lstat, readlink, rm, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { publishFileDurably } from '../common/durable-file';

/** Where `engram export --output <name>` writes, and how. */
export interface ExportOutput {
  /** The name as given, for messages. */
  name: string;
  /** The file written: a symbolic link's final target, so the link itself survives. */
  path: string;
  /**
   * True for what exists and is no regular file (a FIFO, a device, `/dev/fd/N` of `>(gzip)`): written
   * as it goes, since a temporary file renamed over it would replace the node with a plain file.
   */
  writeThrough: boolean;
}

/** A problem with the output, or a failed write to it: one line for the user, no stack. */
export class ExportOutputError extends Error {}

/** Looks at the target before anything is read: a folder or a missing folder is refused up front. */
export async function exportOutput(name: string): Promise<ExportOutput> {
  const found = await stat(name).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw new ExportOutputError(`cannot write ${name}: ${reason(error)}`);
  });
  if (found?.isDirectory()) throw new ExportOutputError(`cannot write ${name}: it is a directory`);
  if (found && !found.isFile()) return { name, path: name, writeThrough: true };
  const path = await finalTarget(resolve(name));
  const folder = await stat(dirname(path)).catch(() => undefined);
  if (!folder?.isDirectory()) throw new ExportOutputError(`cannot write ${name}: no folder ${dirname(path)}`);
  return { name, path, writeThrough: false };
}

/**
 * Writes the lines. A regular file is written beside the target and renamed once whole and on disk
 * (publishFileDurably), so an interrupted export never takes the name and one reported written survives
 * a power cut; the partial file is removed on failure.
 */
export async function writeExport(lines: Readable, output: ExportOutput): Promise<void> {
  if (output.writeThrough) return writeTo(lines, output.path, output.name);
  const partial = `${output.path}.partial`;
  try {
    await writeTo(lines, partial, output.name);
    await publishFileDurably(partial, output.path).catch((error: NodeJS.ErrnoException) => {
      throw new ExportOutputError(`cannot write ${output.name}: ${reason(error)}`);
    });
  } catch (error) {
    await rm(partial, { force: true });
    throw error;
  }
}

/** Errors of the file (not of reading the store) become an ExportOutputError naming the output. */
async function writeTo(lines: Readable, path: string, name: string): Promise<void> {
  const file = createWriteStream(path);
  const failures = new Set<Error>();
  file.once('error', (error) => failures.add(error));
  try {
    await pipeline(lines, file);
  } catch (error) {
    if (!failures.has(error as Error)) throw error;
    throw new ExportOutputError(`cannot write ${name}: ${reason(error as NodeJS.ErrnoException)}`);
  }
}

/** Follows symbolic links, even to a target that does not exist yet (which the export then creates). */
async function finalTarget(path: string): Promise<string> {
  for (let hops = 0; hops < 40; hops++) {
    const link = await lstat(path).catch(() => undefined);
    if (!link?.isSymbolicLink()) return path;
    path = resolve(dirname(path), await readlink(path));
  }
  throw new ExportOutputError(`cannot write ${path}: too many levels of symbolic links`);
}

/** The system's words for an errno ("no space left on device"), without Node's syscall and path. */
function reason(error: NodeJS.ErrnoException): string {
  const match = /^[A-Z0-9]+: ([^,]+)/.exec(error.message);
  return match ? `${match[1]} (${error.code})` : error.message;
}
