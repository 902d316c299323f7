/** A step into an array's elements, in a path (any element: the head shows the first few). */
export const ELEMENT = Symbol('element');
/** In a pattern: any key of an object (ChatGPT's mapping is keyed by message ids). */
export const ANY_KEY = Symbol('any key');

/** In a path: the key of an object too long to be a mark (nothing under it is one). */
const LONG_KEY = Symbol('long key');

export type PathStep = string | typeof ELEMENT | typeof LONG_KEY;
export type PathPattern = readonly (string | typeof ELEMENT | typeof ANY_KEY)[];

/** One key an object showed: the steps from the document's root to that object, and its value when a string. */
interface SeenKey {
  path: readonly PathStep[];
  key: string;
  value?: string;
}

/**
 * Far deeper than any format's mark lies (a message's metadata before a mark may nest a few levels): the
 * scan stops there, so a path copied for a key is never long.
 */
const MAX_DEPTH = 32;
/** Keys and string values are kept up to this many bytes (a mark is short); longer ones match nothing. */
const MAX_TEXT_BYTES = 256;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const WHITESPACE = new Set([0x20, 0x09, 0x0a, 0x0d]);
const SCALAR_BYTE = new Set([...'+-.0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ'].map(code));
const SCALAR_START = new Set([...'-0123456789tfn'].map(code));

enum Expect {
  Value,
  ValueOrClose,
  Key,
  KeyOrClose,
  Colon,
  AfterValue,
}

/**
 * What the start of a JSON document shows of its structure: every object key read, with the path to its
 * object, so a format is told by a key at its own depth rather than by the key's name anywhere (where a
 * message quoting another format's JSON would show it too). The bytes are read once, in order; the scan
 * stops at the end of the first value (a JSON Lines file's first line), at the first byte JSON's grammar
 * does not allow there, at the end of the bytes given (a head cut anywhere), and past MAX_DEPTH.
 */
export class JsonHead {
  private constructor(private readonly keys: readonly SeenKey[]) {}

  static of(bytes: Buffer): JsonHead {
    return new JsonHead(new HeadScanner().scan(bytes));
  }

  /** An object at a path matching `pattern` shows `key` (with the string `value`, when given). */
  has(pattern: PathPattern, key: string, value?: string): boolean {
    return this.keys.some(
      (seen) => seen.key === key && matches(seen.path, pattern) && (value === undefined || seen.value === value),
    );
  }
}

function matches(path: readonly PathStep[], pattern: PathPattern): boolean {
  return (
    path.length === pattern.length &&
    pattern.every((step, i) => (step === ANY_KEY ? typeof path[i] === 'string' : step === path[i]))
  );
}

/** The byte-by-byte reader behind JsonHead; a small state machine with a stack of open containers. */
class HeadScanner {
  private readonly seen: SeenKey[] = [];
  /** Steps from the root to the innermost open container; `objects[i]` says whether level i is an object. */
  private readonly path: PathStep[] = [];
  private readonly objects: boolean[] = [];
  private expect = Expect.Value;
  /** The key whose value comes next, in the innermost object. */
  private key: SeenKey | undefined;
  /** The innermost object's last key was longer than a mark. */
  private longKey = false;

  scan(bytes: Buffer): SeenKey[] {
    let i = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
    while (i < bytes.length) {
      const byte = bytes[i];
      if (WHITESPACE.has(byte)) {
        i++;
        continue;
      }
      const next = this.step(bytes, i);
      if (next === undefined) break;
      i = next;
    }
    return this.seen;
  }

  /** Reads what starts at `i`; the index after it, or undefined to stop. */
  private step(bytes: Buffer, i: number): number | undefined {
    const byte = bytes[i];
    switch (this.expect) {
      case Expect.Key:
      case Expect.KeyOrClose:
        if (byte === 0x7d && this.expect === Expect.KeyOrClose) return this.close(i, true);
        if (byte !== QUOTE) return undefined;
        return this.readKey(bytes, i);
      case Expect.Colon:
        if (byte !== 0x3a) return undefined;
        this.expect = Expect.Value;
        return i + 1;
      case Expect.AfterValue:
        if (byte === 0x2c) {
          this.expect = this.objects.at(-1) ? Expect.Key : Expect.Value;
          return i + 1;
        }
        if (byte === 0x7d || byte === 0x5d) return this.close(i, byte === 0x7d);
        return undefined;
      case Expect.Value:
      case Expect.ValueOrClose:
        if (byte === 0x5d && this.expect === Expect.ValueOrClose) return this.close(i, false);
        return this.readValue(bytes, i);
    }
  }

  private readKey(bytes: Buffer, i: number): number | undefined {
    const { text, end } = readString(bytes, i);
    if (end === undefined) return undefined;
    this.longKey = text === undefined;
    this.key = text === undefined ? undefined : { path: [...this.path], key: text };
    if (this.key) this.seen.push(this.key);
    this.expect = Expect.Colon;
    return end;
  }

  private readValue(bytes: Buffer, i: number): number | undefined {
    const byte = bytes[i];
    if (byte === 0x7b || byte === 0x5b) return this.open(i, byte === 0x7b);
    if (byte === QUOTE) {
      const { text, end } = readString(bytes, i);
      if (end === undefined) return undefined;
      if (this.key && text !== undefined && this.objects.at(-1)) this.key.value = text;
      return this.valueRead(end);
    }
    if (!SCALAR_START.has(byte)) return undefined;
    let end = i + 1;
    while (end < bytes.length && SCALAR_BYTE.has(bytes[end])) end++;
    return end === bytes.length ? undefined : this.valueRead(end);
  }

  private open(i: number, object: boolean): number | undefined {
    if (this.objects.length >= MAX_DEPTH) return undefined;
    if (this.objects.length > 0)
      this.path.push(!this.objects.at(-1) ? ELEMENT : this.longKey ? LONG_KEY : this.key!.key);
    this.objects.push(object);
    this.key = undefined;
    this.expect = object ? Expect.KeyOrClose : Expect.ValueOrClose;
    return i + 1;
  }

  private close(i: number, object: boolean): number | undefined {
    if (this.objects.at(-1) !== object) return undefined;
    this.objects.pop();
    this.path.pop();
    this.key = undefined;
    return this.valueRead(i + 1);
  }

  /** A value ended at `end`: the first value's end is the scan's. */
  private valueRead(end: number): number | undefined {
    if (this.objects.length === 0) return undefined;
    this.expect = Expect.AfterValue;
    return end;
  }
}

/**
 * The string whose opening quote is at `start`: its text (undefined when longer than MAX_TEXT_BYTES) and
 * the index after its closing quote (undefined when the bytes end first).
 */
function readString(bytes: Buffer, start: number): { text?: string; end?: number } {
  let escaped = false;
  for (let i = start + 1; i < bytes.length; i++) {
    if (bytes[i] === BACKSLASH) {
      escaped = true;
      i++; // the escaped byte, a quote among them, is text
    } else if (bytes[i] === QUOTE) {
      const end = i + 1;
      if (end - start > MAX_TEXT_BYTES + 2) return { end };
      return { text: escaped ? unescaped(bytes.subarray(start, end)) : bytes.toString('utf8', start + 1, i), end };
    }
  }
  return {};
}

function unescaped(quoted: Buffer): string | undefined {
  try {
    return JSON.parse(quoted.toString('utf8')) as string;
  } catch {
    return undefined;
  }
}

function code(char: string): number {
  return char.charCodeAt(0);
}
