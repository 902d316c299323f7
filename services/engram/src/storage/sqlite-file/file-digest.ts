import { createHash } from 'node:crypto';
import { closeSync, openSync, readSync } from 'node:fs';

/** Size and SHA-256 of a file, read in 1 MiB blocks (run in a worker thread: it is synchronous). */
export function fileDigest(path: string): { bytes: number; sha256: string } {
  const hash = createHash('sha256');
  const block = Buffer.allocUnsafe(1 << 20);
  const fd = openSync(path, 'r');
  let bytes = 0;
  try {
    for (let read = readSync(fd, block); read > 0; read = readSync(fd, block)) {
      hash.update(block.subarray(0, read));
      bytes += read;
    }
  } finally {
    closeSync(fd);
  }
  return { bytes, sha256: hash.digest('hex') };
}
