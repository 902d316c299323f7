import { createReadStream } from 'node:fs';
import { lstat, open, readdir } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { Readable } from 'node:stream';
import { ImportRejected } from '../imports.errors';
import { ZipArchive } from './zip-archive';
import { counted } from '../../common/counted';

export interface ImportLimits {
  /** All entries together, unpacked (archives) or on disk (folders). */
  maxUnpackedBytes: number;
  maxEntries: number;
}

/** One file of the input: in an archive, in a folder, or the input itself. */
export interface InputEntry {
  /** `/`-separated path inside the archive or folder; the file name for a single file. */
  path: string;
  size: number;
  /** A stream of its bytes; for archives it must be read before asking for the next entry. */
  open(): Promise<Readable>;
}

const HEAD_BYTES = 4096;
const ZIP_MAGIC = [Buffer.from('PK\x03\x04', 'latin1'), Buffer.from('PK\x05\x06', 'latin1')];

/**
 * What an import reads: one file, a ZIP archive, or a folder (path imports). Opening checks the whole
 * input against the limits and refuses hostile archives before any of it is read; entries are then
 * streamed one at a time. Symbolic links are never followed (reported as skipped) and hidden entries
 * (`.obsidian/`, `.git/`, `.DS_Store`) are left out.
 */
export class ImportInput {
  private constructor(
    readonly kind: 'file' | 'zip' | 'folder',
    /** The name the user knows it by (upload name, or the path they gave). */
    readonly name: string,
    /** Absolute path on this host (never shown to clients). */
    readonly location: string,
    /** Every file path, in reading order. */
    readonly paths: string[],
    /** First bytes of a single file. */
    readonly head: Buffer,
    readonly skipped: { item: string; reason: string }[],
    private readonly zip?: ZipArchive,
  ) {}

  static async open(location: string, name: string, limits: ImportLimits): Promise<ImportInput> {
    const info = await lstat(location);
    if (info.isSymbolicLink()) throw new ImportRejected(`${name} is a symbolic link; name the file itself`);
    if (info.isDirectory()) {
      const { paths, skipped } = await walkFolder(location, name, limits);
      return new ImportInput('folder', name, location, paths, Buffer.alloc(0), skipped);
    }
    if (!info.isFile()) throw new ImportRejected(`${name} is not a regular file or folder`);
    if (info.size === 0) throw new ImportRejected(`${name} is empty (0 bytes)`);
    const head = await readHead(location);
    if (ZIP_MAGIC.some((magic) => head.subarray(0, 4).equals(magic))) {
      const zip = new ZipArchive(location, name, limits);
      const { files, skipped } = await zip.inspect();
      return new ImportInput(
        'zip',
        name,
        location,
        files.map((file) => file.path).filter(visible),
        Buffer.alloc(0),
        skipped,
        zip,
      );
    }
    return new ImportInput('file', name, location, [name], head, []);
  }

  /** The entries `wanted` admits (all visible ones by default), one at a time. */
  async *entries(wanted: (path: string) => boolean = () => true): AsyncGenerator<InputEntry> {
    const admits = (path: string) => visible(path) && wanted(path);
    if (this.zip) {
      yield* this.zip.entries(admits);
      return;
    }
    if (this.kind === 'file') {
      if (!wanted(this.name)) return;
      const { size } = await lstat(this.location);
      yield { path: this.name, size, open: async () => createReadStream(this.location) };
      return;
    }
    for (const path of this.paths) {
      if (!admits(path)) continue;
      const absolute = join(this.location, ...path.split('/'));
      const info = await lstat(absolute);
      if (!info.isFile()) continue; // replaced by a link or removed since the walk: never followed
      yield { path, size: info.size, open: async () => createReadStream(absolute) };
    }
  }
}

/** Hidden files and folders (any segment starting with a dot) and macOS resource forks are not content. */
function visible(path: string): boolean {
  return !path.split('/').some((segment) => segment.startsWith('.') || segment === '__MACOSX');
}

async function readHead(location: string): Promise<Buffer> {
  const handle = await open(location, 'r');
  try {
    const buffer = Buffer.alloc(HEAD_BYTES);
    const { bytesRead } = await handle.read(buffer, 0, HEAD_BYTES, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

async function walkFolder(root: string, name: string, limits: ImportLimits) {
  const paths: string[] = [];
  const skipped: { item: string; reason: string }[] = [];
  let total = 0;
  const walk = async (dir: string): Promise<void> => {
    const entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1));
    for (const entry of entries) {
      if (entry.name.startsWith('.')) continue;
      const absolute = join(dir, entry.name);
      const path = relative(root, absolute).split(sep).join('/');
      if (entry.isSymbolicLink()) {
        skipped.push({ item: `${name}/${path}`, reason: 'symbolic link: not followed' });
      } else if (entry.isDirectory()) {
        await walk(absolute);
      } else if (entry.isFile()) {
        total += (await lstat(absolute)).size;
        paths.push(path);
        if (paths.length > limits.maxEntries) {
          throw new ImportRejected(
            `${name} holds more than ${counted(limits.maxEntries, 'file', 'files')} (ENGRAM_IMPORT_MAX_ENTRIES)`,
          );
        }
        if (total > limits.maxUnpackedBytes) {
          throw new ImportRejected(
            `${name} holds more than ${limits.maxUnpackedBytes} bytes (ENGRAM_IMPORT_MAX_UNPACKED_BYTES)`,
          );
        }
      }
    }
  };
  await walk(root);
  return { paths, skipped };
}

/** Reads a whole entry, refusing one larger than `maxBytes` (documents are read whole; exports are streamed). */
export async function readEntryBytes(entry: InputEntry, maxBytes: number, label: string): Promise<Buffer> {
  if (entry.size > maxBytes) {
    throw new ImportRejected(`${label} is ${entry.size} bytes; files read whole may hold at most ${maxBytes} bytes`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of await entry.open()) {
    size += (chunk as Buffer).length;
    if (size > maxBytes) throw new ImportRejected(`${label} is larger than ${maxBytes} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}
