import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { lstat, mkdir, readdir, realpath, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { isWithin } from '../agent/memory-dir/memory-path';
import { makeDirectoryDurably, syncTreeToDisk } from '../common/durable-file';
import { ImportConfig } from '../config/config.types';
import { ImportJobData } from '../jobs/job.types';
import { UploadShelf } from '../storage/upload-shelf';
import { ImportInputMissing, ImportPathRefused, UploadTooLarge } from './imports.errors';

const UPLOAD_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export interface LocatedInput {
  /** Absolute host path (never shown to clients). */
  location: string;
  /** What the user calls it: the upload's file name, or the path they gave. */
  name: string;
}

/**
 * The files imports read: uploads kept in the upload folder (on the data volume, so a worker process
 * finds them) until their job ends, and paths inside ENGRAM_IMPORT_DIR, checked after resolving
 * symbolic links so nothing outside it can be named.
 */
export class ImportUploadRepository {
  /** `shelf`: where uploads also wait when workers may not share this process's disk (PostgreSQL). */
  constructor(
    private readonly config: ImportConfig,
    private readonly shelf?: UploadShelf,
  ) {}

  /**
   * Streams an upload to disk; more than the upload limit is refused and nothing is kept. A kept upload
   * is on disk (fsync) before its import is queued: a queue in Redis outlives a power cut, its job must
   * not then read a file cut short.
   */
  async save(stream: Readable, fileName: string): Promise<{ uploadId: string; fileName: string; bytes: number }> {
    const uploadId = randomUUID();
    const safeName = safeFileName(fileName);
    const folder = join(this.config.uploadDir, uploadId);
    await makeDirectoryDurably(folder);
    let bytes = 0;
    const limit = this.config.maxUploadBytes;
    const counter = async function* (source: AsyncIterable<Buffer>) {
      for await (const chunk of source) {
        bytes += chunk.length;
        if (bytes > limit) throw new UploadTooLarge(limit);
        yield chunk;
      }
    };
    // The multipart parser stops passing a file on at the limit but reads the rest of it unseen to its end,
    // however large: refused at the limit instead, the rest of the request is left to the error answer.
    stream.once('limit', () => stream.destroy(new UploadTooLarge(limit)));
    try {
      await pipeline(stream, counter, createWriteStream(join(folder, safeName), { flags: 'wx' }));
      if ((stream as Readable & { truncated?: boolean }).truncated) throw new UploadTooLarge(limit);
      if (this.shelf) await this.shelf.put(uploadId, join(folder, safeName));
      else await syncTreeToDisk(folder);
    } catch (error) {
      await rm(folder, { recursive: true, force: true });
      throw error;
    }
    // Shelved: the worker that runs the import fetches it wherever it is; nothing stays on this disk.
    if (this.shelf) await rm(folder, { recursive: true, force: true });
    return { uploadId, fileName: safeName, bytes };
  }

  /** ENGRAM_IMPORT_MAX_UPLOAD_BYTES, which the multipart parser enforces too. */
  get maxUploadBytes(): number {
    return this.config.maxUploadBytes;
  }

  async locate(input: ImportJobData['input']): Promise<LocatedInput> {
    if (input.kind === 'path') return { location: await this.resolveAllowedPath(input.path), name: input.path };
    if (input.kind === 'local') {
      if (!(await exists(input.path))) throw new ImportInputMissing(`${input.path} does not exist`);
      return { location: input.path, name: basename(input.path) };
    }
    if (!UPLOAD_ID.test(input.uploadId) || safeFileName(input.fileName) !== input.fileName) {
      throw new ImportInputMissing('The upload reference is malformed');
    }
    const location = join(this.config.uploadDir, input.uploadId, input.fileName);
    if (!(await exists(location)) && !(await this.fetchFromShelf(input.uploadId, location)))
      throw new ImportInputMissing(`The upload ${input.fileName} is gone (it is kept until its import ends)`);
    return { location, name: input.fileName };
  }

  /** An upload taken by an api on another node: copied here from the shelf. */
  private async fetchFromShelf(uploadId: string, location: string): Promise<boolean> {
    if (!this.shelf) return false;
    await mkdir(dirname(location), { recursive: true });
    return this.shelf.fetch(uploadId, location);
  }

  /**
   * A path inside ENGRAM_IMPORT_DIR, relative to it (or absolute under it). `..`, symbolic links leading
   * out, and any path while the setting is off are refused.
   */
  async resolveAllowedPath(path: string): Promise<string> {
    const root = this.config.allowedDir;
    if (root === undefined) {
      throw new ImportPathRefused(
        'Path imports are off: set ENGRAM_IMPORT_DIR to the folder imports may read, or upload the file',
      );
    }
    if (path.includes('\0')) throw new ImportPathRefused('The path contains a NUL character');
    const realRoot = await realpath(root).catch(() => {
      throw new ImportInputMissing('ENGRAM_IMPORT_DIR does not exist on the server');
    });
    const candidate = path.startsWith('/') ? path : join(root, path);
    if (!isWithin(root, candidate) && !isWithin(realRoot, candidate)) {
      throw new ImportPathRefused(`${path} is outside the import folder (ENGRAM_IMPORT_DIR)`);
    }
    const real = await realpath(candidate).catch(() => {
      throw new ImportInputMissing(`${path} does not exist in the import folder`);
    });
    if (!isWithin(realRoot, real))
      throw new ImportPathRefused(`${path} leads outside the import folder (ENGRAM_IMPORT_DIR)`);
    return real;
  }

  async remove(input: ImportJobData['input']): Promise<void> {
    if (input.kind !== 'upload' || !UPLOAD_ID.test(input.uploadId)) return;
    await rm(join(this.config.uploadDir, input.uploadId), { recursive: true, force: true });
    await this.shelf?.remove(input.uploadId);
  }

  /** Uploads whose job never ran to its end (a crash, a lost queue) are removed after `maxAgeMs`. */
  async pruneOlderThan(maxAgeMs: number): Promise<void> {
    await this.shelf?.pruneBefore(Date.now() - maxAgeMs);
    const entries = await readdir(this.config.uploadDir).catch(() => [] as string[]);
    for (const entry of entries) {
      if (!UPLOAD_ID.test(entry)) continue;
      const info = await lstat(join(this.config.uploadDir, entry)).catch(() => undefined);
      if (info && Date.now() - info.mtimeMs > maxAgeMs)
        await rm(join(this.config.uploadDir, entry), { recursive: true, force: true });
    }
  }
}

/** The last path segment, without control characters or a leading dot; never empty. */
export function safeFileName(name: string): string {
  const base = basename(name.replace(/\\/g, '/'))
    .replace(/\//g, '')
    .split('')
    .filter((char) => char.charCodeAt(0) >= 0x20)
    .join('')
    .replace(/^\.+/, '')
    .slice(0, 200);
  return base === '' ? 'upload' : base;
}

async function exists(path: string): Promise<boolean> {
  return lstat(path).then(
    () => true,
    () => false,
  );
}
