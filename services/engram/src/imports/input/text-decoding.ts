import * as chardet from 'chardet';
import { TextDecoder } from 'node:util';
import { ImportRejected } from '../imports.errors';

const SAMPLE_BYTES = 64 * 1024;
/** chardet's confidence (0-100) below which a guess is not trusted with someone's notes. */
const MIN_CONFIDENCE = 20;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Text of a file in whatever encoding it was saved in: UTF-8 (with or without BOM), UTF-16 with a BOM,
 * or a legacy encoding recognised with enough confidence (Windows-1252, Shift JIS, …). Binary data
 * and text whose encoding cannot be told apart are refused with a message naming the file.
 */
export function decodeText(bytes: Buffer, label: string): string {
  if (bytes.length >= 2 && bytes[0] === 0xff && bytes[1] === 0xfe)
    return decodeWith('utf-16le', bytes.subarray(2), label);
  if (bytes.length >= 2 && bytes[0] === 0xfe && bytes[1] === 0xff)
    return decodeWith('utf-16be', bytes.subarray(2), label);
  const body =
    bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? bytes.subarray(3) : bytes;
  if (looksBinary(body)) throw new ImportRejected(`${label} looks like binary data, not text`);
  try {
    return utf8.decode(body);
  } catch {
    const guess = chardet.analyse(body.subarray(0, SAMPLE_BYTES))[0];
    if (!guess || guess.confidence < MIN_CONFIDENCE || guess.name.startsWith('UTF')) {
      throw new ImportRejected(
        `${label} is not valid UTF-8 and its encoding cannot be told reliably; save it as UTF-8 and import it again`,
      );
    }
    return decodeWith(guess.name, body, label);
  }
}

/** NUL bytes do not occur in text files (UTF-16 files carry a BOM and are handled before). */
export function looksBinary(bytes: Buffer): boolean {
  return bytes.subarray(0, SAMPLE_BYTES).includes(0);
}

function decodeWith(encoding: string, bytes: Buffer, label: string): string {
  let decoder: TextDecoder;
  try {
    decoder = new TextDecoder(encoding.toLowerCase(), { fatal: true });
  } catch {
    throw new ImportRejected(`${label} is encoded as ${encoding}, which this server cannot decode; save it as UTF-8`);
  }
  try {
    return decoder.decode(bytes);
  } catch {
    throw new ImportRejected(`${label} is not valid ${encoding} text`);
  }
}
