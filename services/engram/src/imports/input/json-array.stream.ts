import { Readable } from 'node:stream';
import { ImportRejected } from '../imports.errors';

/** One element of the array, parsed, with where it started (1-based line) for error messages. */
export interface JsonArrayElement {
  value: unknown;
  index: number;
  line: number;
}

/**
 * What could not be read: an element the scanner found the bounds of but could not parse (not JSON, not
 * UTF-8, too large), the element a cut file ends inside, or, without an index, a cut between elements or
 * after the array. Each is one failed item; the elements around it are read as usual.
 */
export interface UnreadableElement {
  reason: string;
  index?: number;
  line?: number;
}

export function isUnreadable(element: JsonArrayElement | UnreadableElement): element is UnreadableElement {
  return 'reason' in element;
}

/**
 * How a failure names an element: `file, memory 3 (line 12)`, with its title when it has one
 * (`file, conversation 3 ("Trip plans", line 12)`), or the file for what its cut left unread.
 */
export function elementName(
  file: string,
  noun: string,
  { index, line }: { index?: number; line?: number },
  title?: string,
): string {
  if (index === undefined) return file;
  return `${file}, ${noun} ${index + 1} (${title === undefined ? '' : `${JSON.stringify(title)}, `}line ${line})`;
}

export interface JsonArrayOptions {
  /** The array is the value of this key of the top-level object; absent: the top level is the array. */
  key?: string;
  /** An element larger than this is refused (one conversation, one memory). */
  maxElementBytes?: number;
}

/**
 * An element larger than this is refused with the file named: one conversation or one memory of an
 * export is far smaller, and parsing it needs a few times its size in memory.
 */
export const MAX_ELEMENT_BYTES = 64 * 1024 * 1024;
/** Top-level keys longer than this cannot be the key looked for; their bytes are not kept. */
const MAX_KEY_BYTES = 1024;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const NEWLINE = 0x0a;
const WHITESPACE = new Set([0x20, 0x09, 0x0a, 0x0d]);
const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Streams the elements of a JSON array out of a file of any size: bytes are scanned for structure
 * (strings, nesting) and each element is parsed on its own once complete, so memory holds one element
 * at a time (at most `maxElementBytes`); values outside the array are scanned past, never kept.
 * A file whose structure cannot be followed (no array, unbalanced brackets, garbage) is refused with
 * the file, line and column. Within a well-formed array, an element that cannot be read (not JSON, not
 * UTF-8, too large) is yielded as unreadable and the next one read; so is a cut at the end of the file.
 */
export async function* readJsonArray(
  stream: Readable,
  label: string,
  { key, maxElementBytes = MAX_ELEMENT_BYTES }: JsonArrayOptions = {},
): AsyncGenerator<JsonArrayElement | UnreadableElement> {
  const scanner = new ArrayScanner(label, key, maxElementBytes);
  for await (const chunk of stream) {
    for (const element of scanner.feed(chunk as Buffer)) yield element;
  }
  yield* scanner.end();
}

class ArrayScanner {
  private depth = 0;
  private inString = false;
  private escaped = false;
  private line = 1;
  private column = 0;
  private started = false;
  private finished = false;
  /** Depth at which the target array's elements sit, once found. */
  private elementDepth: number | undefined;
  private arrayClosed = false;
  private element: Buffer[] = [];
  private elementBytes = 0;
  /** The element in progress passed the size limit: its bytes are scanned past, no longer kept. */
  private oversized = false;
  private elementStart: { chunk: number; line: number } | undefined;
  private index = 0;
  /**
   * Top-level object keys: the string being read at depth 1 (while short enough to be a key), the
   * last one read, and the key whose value comes next.
   */
  private keyBytes: number[] | undefined;
  private lastString: string | undefined;
  private expectingValueOf: string | undefined;

  constructor(
    private readonly label: string,
    private readonly key: string | undefined,
    private readonly maxElementBytes: number,
  ) {}

  *feed(chunk: Buffer): Generator<JsonArrayElement | UnreadableElement> {
    let from = this.elementStart ? 0 : -1;
    const bom = !this.started && this.line === 1 && this.column === 0 && chunk[0] === 0xef && chunk[1] === 0xbb;
    for (let i = bom ? 3 : 0; i < chunk.length; i++) {
      const byte = chunk[i];
      if (byte === NEWLINE) {
        this.line++;
        this.column = 0;
      } else {
        this.column++;
      }
      if (this.inString) {
        this.stringByte(byte);
        continue;
      }
      if (WHITESPACE.has(byte)) continue;
      if (this.finished) this.fail('unexpected content after the end of the JSON document');
      if (!this.started && byte !== 0x5b && byte !== 0x7b) {
        this.fail(`expected ${this.key === undefined ? 'an array' : 'an object'} at the top level`);
      }
      const inElement = this.elementStart !== undefined;
      if (!inElement && this.elementDepth !== undefined && this.depth === this.elementDepth && !this.arrayClosed) {
        if (byte === 0x2c) continue; // ',' between elements
        if (byte !== 0x5d) {
          this.elementStart = { chunk: 0, line: this.line };
          from = i;
        }
      }
      switch (byte) {
        case QUOTE:
          this.inString = true;
          if (this.depth === 1 && this.key !== undefined && this.elementStart === undefined) {
            this.keyBytes = [];
            this.lastString = undefined;
          }
          break;
        case 0x7b: // {
        case 0x5b: // [
          this.open(byte);
          break;
        case 0x7d: // }
        case 0x5d: // ]
          yield* this.close(chunk, from, i);
          if (this.elementStart === undefined) from = -1;
          break;
        case 0x3a: // :
          if (this.depth === 1 && this.keyBytes === undefined && this.lastString !== undefined) {
            this.expectingValueOf = this.lastString;
          }
          break;
        case 0x2c: // , (inside elements, or between top-level keys)
          if (this.elementStart !== undefined && this.depth === this.elementDepth) {
            yield this.finishElement(chunk, from, i);
            from = -1;
          }
          break;
      }
    }
    if (this.elementStart !== undefined) this.keep(chunk.subarray(Math.max(0, from)));
  }

  *end(): Generator<UnreadableElement> {
    if (!this.started) this.fail('the file holds no JSON');
    const cut = this.depth > 0 || this.inString;
    if (cut && this.elementDepth !== undefined) {
      // The elements before the cut were read; the cut is one failure, as a cut Engram export's is.
      yield this.elementStart
        ? { reason: 'the file ends inside it (truncated?)', index: this.index, line: this.elementStart.line }
        : { reason: 'the file ends in the middle of the JSON document (truncated?)' };
      return;
    }
    if (cut) this.fail('the file ends in the middle of the JSON document (truncated?)');
    if (this.elementDepth === undefined) this.fail(`the top-level object has no "${this.key}" array`);
  }

  private stringByte(byte: number): void {
    if (this.escaped) this.escaped = false;
    else if (byte === BACKSLASH) this.escaped = true;
    else if (byte === QUOTE) {
      this.inString = false;
      if (this.keyBytes !== undefined) {
        this.lastString = parseString(this.keyBytes);
        this.keyBytes = undefined;
      }
      return;
    }
    if (this.keyBytes === undefined) return;
    if (this.keyBytes.length < MAX_KEY_BYTES) this.keyBytes.push(byte);
    else this.keyBytes = undefined;
  }

  private open(byte: number): void {
    if (!this.started) {
      const wanted = this.key === undefined ? 0x5b : 0x7b;
      if (byte !== wanted) this.fail(`expected ${this.key === undefined ? 'an array' : 'an object'} at the top level`);
      this.started = true;
      if (this.key === undefined) this.elementDepth = 1;
    } else if (
      byte === 0x5b &&
      this.depth === 1 &&
      this.key !== undefined &&
      this.expectingValueOf === this.key &&
      this.elementDepth === undefined
    ) {
      this.elementDepth = 2;
    }
    if (this.depth === 1) this.expectingValueOf = undefined;
    this.depth++;
  }

  private *close(chunk: Buffer, from: number, at: number): Generator<JsonArrayElement | UnreadableElement> {
    if (this.depth === 0) this.fail('unbalanced closing bracket');
    this.depth--;
    if (this.elementStart !== undefined && this.depth === this.elementDepth) {
      yield this.finishElement(chunk, from, at + 1);
      return;
    }
    if (this.elementDepth !== undefined && this.depth === this.elementDepth - 1) {
      if (this.elementStart !== undefined) yield this.finishElement(chunk, from, at); // a scalar last element
      this.arrayClosed = true;
    }
    if (this.depth === 0) this.finished = true;
  }

  private finishElement(chunk: Buffer, from: number, to: number): JsonArrayElement | UnreadableElement {
    this.keep(chunk.subarray(Math.max(0, from), to));
    const bytes = Buffer.concat(this.element);
    const oversized = this.oversized;
    const position = { index: this.index++, line: this.elementStart!.line };
    this.element = [];
    this.elementBytes = 0;
    this.oversized = false;
    this.elementStart = undefined;
    if (oversized) return { reason: `larger than ${this.maxElementBytes} bytes`, ...position };
    let text: string;
    try {
      text = utf8.decode(bytes);
    } catch {
      return { reason: 'not valid UTF-8', ...position };
    }
    try {
      return { value: JSON.parse(text), ...position };
    } catch (error) {
      return { reason: `not valid JSON: ${(error as Error).message}`, ...position };
    }
  }

  private keep(part: Buffer): void {
    if (part.length === 0 || this.oversized) return;
    this.elementBytes += part.length;
    if (this.elementBytes > this.maxElementBytes) {
      this.oversized = true;
      this.element = [];
      return;
    }
    this.element.push(Buffer.from(part));
  }

  private fail(problem: string): never {
    throw new ImportRejected(`${this.label}: malformed JSON at line ${this.line}, column ${this.column}: ${problem}`);
  }
}

function parseString(bytes: number[]): string | undefined {
  try {
    return JSON.parse(`"${utf8.decode(Buffer.from(bytes))}"`) as string;
  } catch {
    return undefined;
  }
}
