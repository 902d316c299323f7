import { closeSync, createReadStream, openSync, writeSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { createInterface } from 'node:readline';

/** How much of the lines appended is held before it is written out. */
const SPILL_CHUNK_BYTES = 1024 * 1024;

/**
 * Lines kept on disk for later reads, in bounded memory: a restore's scan (scanArchivedMemory) writes one
 * line per archive entry as it reads the archive once, and reads them back per share of its namespaces,
 * which is much cheaper than decompressing and parsing the archive again. Written synchronously in chunks,
 * since the archive's reader hands entries to a callback that cannot wait. Lines must hold no newline.
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

  /** Every line appended, in order. */
  async *lines(): AsyncGenerator<string> {
    this.flush();
    if (this.fd === undefined) return;
    const input = createReadStream(this.path, { encoding: 'utf8' });
    try {
      yield* createInterface({ input, crlfDelay: Infinity });
    } finally {
      input.destroy();
    }
  }

  async remove(): Promise<void> {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
    await rm(this.path, { force: true });
  }

  private flush(): void {
    if (this.pending.length === 0) return;
    this.fd ??= openSync(this.path, 'wx');
    writeSync(this.fd, `${this.pending.join('\n')}\n`);
    this.pending = [];
    this.pendingBytes = 0;
  }
}
