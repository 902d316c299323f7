import { Readable } from 'node:stream';
import * as yauzl from 'yauzl';
import { ImportRejected } from '../imports.errors';
import { ImportLimits, InputEntry } from './import-input';
import { counted } from '../../common/counted';

/**
 * Text compresses 5-20x; far beyond this an entry is built to blow up on unpacking. Every entry is
 * checked, small ones too: thousands of small bombs add up as surely as one large one.
 */
const MAX_COMPRESSION_RATIO = 200;
const S_IFMT = 0o170000;
const S_IFLNK = 0o120000;

export interface ZipEntryInfo {
  path: string;
  size: number;
}

/**
 * Reads a ZIP archive entry by entry (never unpacking it to disk). `inspect` checks the whole central
 * directory before anything is read: entry count, unsafe names (absolute, `..`: yauzl refuses them),
 * symlinks, encryption, declared sizes against the limits, and compression ratios. yauzl checks that
 * every entry's data is exactly its declared size, so the declared sizes can be trusted.
 */
export class ZipArchive {
  constructor(
    private readonly location: string,
    private readonly label: string,
    private readonly limits: ImportLimits,
  ) {}

  /** Every file entry (folders left out); throws ImportRejected for a hostile or oversized archive. */
  async inspect(): Promise<{ files: ZipEntryInfo[]; skipped: { item: string; reason: string }[] }> {
    const files: ZipEntryInfo[] = [];
    const skipped: { item: string; reason: string }[] = [];
    let total = 0;
    await this.walk(async (entry) => {
      const path = entry.fileName;
      if (path.endsWith('/')) return;
      if (isSymlink(entry)) {
        skipped.push({ item: `${this.label}: ${path}`, reason: 'symbolic link in the archive: not followed' });
        return;
      }
      if (entry.isEncrypted())
        throw new ImportRejected(`${this.label}: entry "${path}" is encrypted; export it again without a password`);
      const ratio = entry.uncompressedSize / Math.max(1, entry.compressedSize);
      if (ratio > MAX_COMPRESSION_RATIO) {
        throw new ImportRejected(
          `${this.label}: entry "${path}" unpacks ${Math.round(ratio)} times its packed size (${entry.uncompressedSize} bytes); refused as a likely zip bomb`,
        );
      }
      total += entry.uncompressedSize;
      if (total > this.limits.maxUnpackedBytes) {
        throw new ImportRejected(
          `${this.label}: the archive unpacks to more than ${this.limits.maxUnpackedBytes} bytes (ENGRAM_IMPORT_MAX_UNPACKED_BYTES)`,
        );
      }
      files.push({ path, size: entry.uncompressedSize });
    });
    return { files, skipped };
  }

  /** The file entries `wanted` admits, in archive order; each entry's stream must be read before the next. */
  async *entries(wanted: (path: string) => boolean): AsyncGenerator<InputEntry> {
    const zip = await this.open();
    try {
      for (;;) {
        const entry = await nextEntry(zip, this.label);
        if (!entry) return;
        if (entry.fileName.endsWith('/') || isSymlink(entry) || !wanted(entry.fileName)) continue;
        yield {
          path: entry.fileName,
          size: entry.uncompressedSize,
          open: () =>
            zip.openReadStreamPromise(entry).catch((error: Error) => {
              throw new ImportRejected(`${this.label}: entry "${entry.fileName}" cannot be read: ${error.message}`);
            }) as Promise<Readable>,
        };
      }
    } finally {
      zip.close();
    }
  }

  private async walk(visit: (entry: yauzl.Entry) => Promise<void>): Promise<void> {
    const zip = await this.open();
    try {
      if (zip.entryCount > this.limits.maxEntries) {
        throw new ImportRejected(
          `${this.label}: the archive holds ${counted(zip.entryCount, 'entry', 'entries')}; at most ${this.limits.maxEntries} are accepted (ENGRAM_IMPORT_MAX_ENTRIES)`,
        );
      }
      for (let entry = await nextEntry(zip, this.label); entry; entry = await nextEntry(zip, this.label)) {
        await visit(entry);
      }
    } finally {
      zip.close();
    }
  }

  private open(): Promise<yauzl.ZipFile> {
    return new Promise((resolve, reject) =>
      yauzl.open(this.location, { lazyEntries: true, autoClose: false, validateEntrySizes: true }, (error, zip) =>
        error
          ? reject(new ImportRejected(`${this.label} is not a readable ZIP archive: ${error.message}`))
          : resolve(zip),
      ),
    );
  }
}

function isSymlink(entry: yauzl.Entry): boolean {
  return ((entry.externalFileAttributes >>> 16) & S_IFMT) === S_IFLNK;
}

function nextEntry(zip: yauzl.ZipFile, label: string): Promise<yauzl.Entry | undefined> {
  return new Promise((resolve, reject) => {
    const cleanUp = () => {
      zip.off('entry', onEntry);
      zip.off('end', onEnd);
      zip.off('error', onError);
    };
    const onEntry = (entry: yauzl.Entry) => (cleanUp(), resolve(entry));
    const onEnd = () => (cleanUp(), resolve(undefined));
    const onError = (error: Error) => (
      cleanUp(),
      reject(new ImportRejected(`${label}: unsafe or damaged archive: ${error.message}`))
    );
    zip.on('entry', onEntry);
    zip.on('end', onEnd);
    zip.on('error', onError);
    zip.readEntry();
  });
}
