import { closeSync, openSync, read, rmSync, writeSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import { promisify } from 'node:util';

const readAt = promisify(read);

/** How much of the lines appended is held before it is written out. */
const SPILL_CHUNK_BYTES = 1024 * 1024;

/**
 * Lines kept on disk for later reads, in bounded memory: a restore's scan (scanArchivedMemory) writes one
 * line per archive entry as it reads the archive once, and reads them back per share of its namespaces,
 * which is much cheaper than decompressing and parsing the archive again. Written synchronously in chunks,
 * since the archive's reader hands entries to a callback that cannot wait. Lines must hold no newline. The
 * file loses its name as soon as it is open (read and written through its descriptor after), so a process
 * killed meanwhile leaves nothing behind: the system frees it with the descriptor.
 */
export class EntrySpillFile {
  private pending: string[] = [];
  private pendingBytes = 0;
  private fd: number | undefined;

  constructor(private readonly path: string) {}

  append(line: string): void {
    this.pending.push(line);
    this.pendingBytes += line.length + 1;
    if (this.pendingBytes >= SPILL_CHUNK_BYTES) this.flush();
  }

  /** Every line appended, in order (read from the start by position: appends go where the descriptor is). */
  async *lines(): AsyncGenerator<string> {
    this.flush();
    if (this.fd === undefined) return;
    const decoder = new StringDecoder('utf8');
    const chunk = Buffer.alloc(SPILL_CHUNK_BYTES);
    let rest = '';
    for (let position = 0; ;) {
      const { bytesRead } = await readAt(this.fd, chunk, 0, chunk.length, position);
      if (bytesRead === 0) break;
      position += bytesRead;
      const lines = (rest + decoder.write(chunk.subarray(0, bytesRead))).split('\n');
      rest = lines.pop()!;
      yield* lines;
    }
    // Every line ends with a newline, so nothing is left over.
  }

  /** Frees the file (it has no name to remove). */
  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }

  private flush(): void {
    if (this.pending.length === 0) return;
    if (this.fd === undefined) {
      this.fd = openSync(this.path, 'wx+');
      rmSync(this.path);
    }
    writeSync(this.fd, `${this.pending.join('\n')}\n`);
    this.pending = [];
    this.pendingBytes = 0;
  }
}
