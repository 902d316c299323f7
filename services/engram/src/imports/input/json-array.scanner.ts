import { ImportRejected } from '../imports.errors';
import { jsonShapeProblem } from '../../common/json-shape';
import type { JsonArrayElement, UnreadableElement } from './json-array.stream';
import { ElementResync, ResyncStep } from './json-resync';

/**
 * How far a break may reach: twice the largest element read so far, and at least this much. After a
 * break, the next element is looked for at the array's depth as counted from the break that far, then at
 * any depth (see ElementResync); an element with a quote read as text that grows past it is given up on
 * (see giveUpOnElement). A count thrown off by a broken element cannot cost the rest of the file.
 */
const RESYNC_MIN_BYTES = 64 * 1024;
/** Top-level keys longer than this cannot be the key looked for; their bytes are not kept. */
const MAX_KEY_BYTES = 1024;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const NEWLINE = 0x0a;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const WHITESPACE = new Set([0x20, 0x09, 0x0a, 0x0d]);
/** Bytes that start a number, true, false, null (and Python's NaN, Infinity) and that continue one. */
const SCALAR_START = new Set([...'-0123456789tfnNI'].map((char) => char.charCodeAt(0)));
const SCALAR_BYTE = new Set(
  [...'+-.0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ'].map((c) => c.charCodeAt(0)),
);
const utf8 = new TextDecoder('utf-8', { fatal: true });

const BRACE_COMMA = (CLOSE_BRACE << 8) | COMMA;
/** JSON's own punctuation: after a string's end, one of these is more likely a mistake in the structure
 * (a comma or bracket left out or doubled) than text after a stray quote. */
const PUNCTUATION = new Set([QUOTE, OPEN_BRACE, CLOSE_BRACE, OPEN_BRACKET, CLOSE_BRACKET, COMMA, COLON]);

enum Container {
  Object = 1,
  Array = 2,
}

/** What the scanner expects next outside strings. */
enum Expect {
  Value,
  Key,
  Colon,
  AfterValue,
  /** Inside a number, true, false or null. */
  Scalar,
}

/** Where a quote was read: a string's end, until what follows it says otherwise. */
interface Position {
  line: number;
  column: number;
  /** How many bytes of the element in progress come before it. */
  offset: number;
}

/** The scanner as a string closed: what reading that quote as text instead restores. */
interface ClosedString {
  quote: Position;
  depth: number;
  isKey: boolean;
  arrayClosed: boolean;
  finished: boolean;
}

/** The element whose structure broke, reported once the next element is found (or the file ends). */
interface BrokenElement {
  index: number;
  line: number;
  problem: string;
  resync: ElementResync;
}

/**
 * The byte-by-byte reader behind readJsonArray: the grammar of JSON followed closely enough to tell a
 * quote left unescaped in a text from a string's end, elements kept and parsed one at a time. A quote
 * is text, not an end, when what follows it (whitespace aside) cannot follow a string there; when a
 * key's quote is followed by anything but `:` right after a text, the text's own end was the stray
 * quote; when a misfit comes after nothing but punctuation since a string's end, that end was text;
 * when a text that is itself an element meets a misfit (the array holds objects), or a misfit cannot be
 * explained so, the element is one failure and ElementResync finds the next one; when a text directly
 * in an element's object ends in `}, {` before a quote taken as text, two elements were read inside out
 * and the second starts at that `{`. Each byte is read once, and looked back at at most once more.
 */
export class ArrayScanner {
  private line = 1;
  private column = 0;
  private started = false;
  private finished = false;
  private depth = 0;
  /** The kind of each open container, by depth. */
  private containers = new Uint8Array(64);
  private expect = Expect.Value;
  private inString = false;
  private escaped = false;
  private stringIsKey = false;
  /** A quote that ended a string unless what follows it says it was text. */
  private quote: Position | undefined;
  /** The last string's end, while only punctuation followed it (what a later misfit may undo). */
  private closed: ClosedString | undefined;
  /** Depth at which the target array's elements sit, once found. */
  private elementDepth: number | undefined;
  private arrayClosed = false;
  /** A quote of the array was read as text or an element's structure broke: its end may be misread. */
  private damaged = false;
  private element: Buffer[] = [];
  private elementBytes = 0;
  /** The element in progress passed the size limit: its bytes are scanned past, no longer kept. */
  private oversized = false;
  private elementStart: { line: number } | undefined;
  /** The first quote of the element in progress read as text (it was not escaped). */
  private strayQuote: Position | undefined;
  private index = 0;
  /** Where the next quote, backslash and newline of the chunk are (from where last looked). */
  private next: Record<number, number> = {};
  /** The last two bytes read as structure (`}` then `,`: BRACE_COMMA), and whether they came before this one. */
  private lastTwo = 0;
  private afterBraceComma = false;
  private largestElement = 0;
  /** The array was read whole and what follows it cannot be followed: it is not read. */
  private ignoringRest = false;
  private broken: BrokenElement | undefined;
  /** The chunk being read and where in it the element in progress starts (-1: in an earlier chunk). */
  private chunk: Buffer = Buffer.alloc(0);
  private from = -1;
  private at = 0;
  private out: (JsonArrayElement | UnreadableElement)[] = [];
  /**
   * Top-level object keys: the key being read at depth 1 (while short enough to be the key looked
   * for), the last one read, and the key whose value comes next.
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
    this.chunk = chunk;
    this.from = this.elementStart ? 0 : -1;
    this.next = { [QUOTE]: -1, [BACKSLASH]: -1, [NEWLINE]: -1 };
    const bom = !this.started && this.line === 1 && this.column === 0 && chunk[0] === 0xef && chunk[1] === 0xbb;
    for (let i = bom ? 3 : 0; i < chunk.length; i++) {
      if (this.inPlainText()) {
        i = this.passText(chunk, i);
        if (i === chunk.length) break;
      }
      if (this.ignoringRest) break;
      const byte = chunk[i];
      if (byte === NEWLINE) {
        this.line++;
        this.column = 0;
      } else {
        this.column++;
      }
      this.at = i;
      if (this.broken) this.skipByte(byte);
      else if (this.quote) this.afterQuote(byte);
      else if (this.inString) this.stringByte(byte);
      else this.structureByte(byte);
      if (this.out.length > 0) {
        yield* this.out;
        this.out = [];
      }
    }
    if (this.elementStart !== undefined) this.keep(chunk.subarray(Math.max(0, this.from)));
    if (this.strayQuote !== undefined && this.broken === undefined && this.elementBytes > this.resyncLimit()) {
      this.giveUpOnElement();
    }
  }

  /**
   * A quote read as text can throw the count of brackets off for good (every element after would be
   * read as nested in this one): an element it happened in that grows past the resync limit is one
   * failure, and the next `}, {` at any depth starts the next element.
   */
  private giveUpOnElement(): void {
    this.broken = {
      index: this.index++,
      line: this.elementStart!.line,
      problem: `${strayQuoteProblem(this.strayQuote!)}, and its end could not be found`,
      resync: new ElementResync(this.openBrackets(), this.elementDepth!, 0),
    };
    this.damaged = true;
    this.dropElement();
  }

  *end(): Generator<JsonArrayElement | UnreadableElement> {
    if (this.ignoringRest) return;
    if (this.broken) {
      yield this.brokenFailure('skipped to the end of the file');
      return;
    }
    if (!this.started) this.fail('the file holds no JSON');
    if (this.quote) this.closeString();
    const cut = this.depth > 0 || this.inString;
    if (cut && this.elementDepth !== undefined) {
      // The elements before the cut were read; the cut is one failure, as a cut Engram export's is.
      yield this.elementStart
        ? { reason: this.cutReason(), index: this.index, line: this.elementStart.line }
        : { reason: 'the file ends in the middle of the JSON document (truncated?)' };
      return;
    }
    if (cut) this.fail('the file ends in the middle of the JSON document (truncated?)');
    if (this.elementDepth === undefined) this.fail(`the top-level object has no "${this.key}" array`);
  }

  /** A quote read as text in the element may be what kept its end from being found. */
  private cutReason(): string {
    const quote = this.strayQuote;
    if (quote === undefined) return 'the file ends inside it (truncated?)';
    return `the file ends inside it (truncated, or the quote at line ${quote.line}, column ${quote.column} was not escaped?)`;
  }

  /** Inside a text, with nothing to note about its bytes but where lines start. */
  private inPlainText(): boolean {
    return (
      this.inString &&
      this.quote === undefined &&
      !this.escaped &&
      this.broken === undefined &&
      this.keyBytes === undefined
    );
  }

  /**
   * Passes over a text's bytes up to its next quote or backslash at once (most of a file is text), and
   * returns where reading goes on byte by byte: what stringByte would have done to each, with the next
   * quote, backslash and newline of the chunk looked up once each.
   */
  private passText(chunk: Buffer, from: number): number {
    const end = Math.min(this.nextOf(chunk, QUOTE, from), this.nextOf(chunk, BACKSLASH, from));
    let lastNewline = -1;
    for (let at = this.nextOf(chunk, NEWLINE, from); at < end; at = this.nextOf(chunk, NEWLINE, at + 1)) {
      this.line++;
      lastNewline = at;
    }
    this.column = lastNewline === -1 ? this.column + end - from : end - lastNewline - 1;
    return end;
  }

  private nextOf(chunk: Buffer, byte: number, from: number): number {
    if (this.next[byte] < from) {
      const found = chunk.indexOf(byte, from);
      this.next[byte] = found === -1 ? chunk.length : found;
    }
    return this.next[byte];
  }

  private stringByte(byte: number): void {
    if (this.escaped) this.escaped = false;
    else if (byte === BACKSLASH) this.escaped = true;
    else if (byte === QUOTE) {
      this.quote = {
        line: this.line,
        column: this.column,
        offset: this.elementBytes + this.at - Math.max(0, this.from),
      };
      return;
    }
    if (this.keyBytes === undefined) return;
    if (this.keyBytes.length < MAX_KEY_BYTES) this.keyBytes.push(byte);
    else this.keyBytes = undefined;
  }

  /**
   * The first byte after a string's closing quote (whitespace aside) says whether it closed it. If it
   * did not: a key right after a text (`"hi", "bye" and`) means the text's closing quote was the stray
   * one; a text that is an element of the array (they hold objects) means the element before it ended
   * early, and reading goes on at the next element; a text of an element that ends in `}, {` was two
   * elements read inside out, and the second starts there; otherwise the quote is text.
   */
  private afterQuote(byte: number): void {
    if (WHITESPACE.has(byte)) return;
    if (this.mayFollowString(byte)) {
      this.closeString();
      this.structureByte(byte);
      return;
    }
    if (this.stringIsKey && this.closed) return this.reopen(byte);
    if (this.depth === this.elementDepth && this.inArray()) {
      this.closeString();
      this.closed = undefined;
      return this.breakElement(byte, 'expected "," or "]" after a text');
    }
    const boundary = this.boundaryBefore(this.quote!);
    if (boundary) return this.splitAt(boundary, byte);
    this.quoteWasText(this.quote!);
    this.stringByte(byte);
  }

  private mayFollowString(byte: number): boolean {
    if (this.stringIsKey) return byte === COLON;
    const container = this.containers[this.depth - 1];
    return (
      byte === COMMA ||
      (byte === CLOSE_BRACE && container === Container.Object) ||
      (byte === CLOSE_BRACKET && container === Container.Array)
    );
  }

  private closeString(): void {
    const quote = this.quote!;
    this.quote = undefined;
    this.inString = false;
    this.expect = this.stringIsKey ? Expect.Colon : Expect.AfterValue;
    if (this.keyBytes !== undefined) {
      this.lastString = parseString(this.keyBytes);
      this.keyBytes = undefined;
    }
    const { depth, stringIsKey: isKey, arrayClosed, finished } = this;
    this.closed = { quote, depth, isKey, arrayClosed, finished };
  }

  /** A quote taken as a string's end was text that was not escaped: the string goes on. */
  private quoteWasText(quote: Position): void {
    this.quote = undefined;
    this.inString = true;
    this.escaped = false;
    this.keyBytes = undefined;
    if (this.elementStart !== undefined) this.strayQuote ??= quote;
    if (this.inArray()) this.damaged = true;
  }

  private structureByte(byte: number): void {
    if (this.expect === Expect.Scalar) {
      if (SCALAR_BYTE.has(byte)) return;
      this.expect = Expect.AfterValue;
    }
    if (WHITESPACE.has(byte)) return;
    this.afterBraceComma = this.lastTwo === BRACE_COMMA;
    this.lastTwo = ((this.lastTwo << 8) | byte) & 0xffff;
    if (this.finished) return this.misfit(byte, 'unexpected content after the end of the JSON document');
    switch (this.expect) {
      case Expect.Value:
        return this.value(byte);
      case Expect.Key:
        if (byte === QUOTE) return this.openString(true);
        if (byte === CLOSE_BRACE) return this.close(byte);
        return this.misfit(byte, 'expected a key in quotes');
      case Expect.Colon:
        if (byte !== COLON) return this.misfit(byte, 'expected ":" after a key');
        if (this.depth === 1 && this.lastString !== undefined) this.expectingValueOf = this.lastString;
        this.expect = Expect.Value;
        return;
      default:
        return this.afterValue(byte);
    }
  }

  private value(byte: number): void {
    if (!this.started && byte !== this.topLevelBracket()) {
      this.fail(`expected ${this.key === undefined ? 'an array' : 'an object'} at the top level`);
    }
    if (byte === CLOSE_BRACKET && this.containers[this.depth - 1] === Container.Array) return this.close(byte);
    if (byte !== OPEN_BRACE && byte !== OPEN_BRACKET && byte !== QUOTE && !SCALAR_START.has(byte)) {
      return this.misfit(byte, 'expected a value');
    }
    this.closed = undefined;
    if (this.elementDepth === this.depth && !this.arrayClosed && this.elementStart === undefined) this.startElement();
    const isTarget = this.depth === 1 && byte === OPEN_BRACKET && this.expectingValueOf === this.key;
    if (this.depth === 1) this.expectingValueOf = undefined;
    if (byte === QUOTE) return this.openString(false);
    if (byte !== OPEN_BRACE && byte !== OPEN_BRACKET) {
      this.expect = Expect.Scalar;
      return;
    }
    this.open(byte === OPEN_BRACE ? Container.Object : Container.Array);
    if (this.depth === 1 && this.key === undefined) this.elementDepth = 1;
    if (isTarget && this.key !== undefined && this.elementDepth === undefined) this.elementDepth = 2;
  }

  private topLevelBracket(): number {
    return this.key === undefined ? OPEN_BRACKET : OPEN_BRACE;
  }

  private afterValue(byte: number): void {
    const container = this.containers[this.depth - 1];
    const endsElement = this.elementStart !== undefined && this.depth === this.elementDepth;
    if (byte === COMMA) {
      if (endsElement) this.finishElement(this.at);
      this.expect = container === Container.Object ? Expect.Key : Expect.Value;
      return;
    }
    if (
      (byte === CLOSE_BRACE && container === Container.Object) ||
      (byte === CLOSE_BRACKET && container === Container.Array)
    ) {
      if (endsElement) this.finishElement(this.at);
      return this.close(byte);
    }
    this.misfit(byte, container === Container.Object ? 'expected "," or "}"' : 'expected "," or "]"');
  }

  /** A key keeps the text before it open to doubt (see afterQuote); a text does not. */
  private openString(isKey: boolean): void {
    if (!isKey) this.closed = undefined;
    this.lastTwo = 0;
    this.afterBraceComma = false;
    this.inString = true;
    this.stringIsKey = isKey;
    if (isKey && this.depth === 1 && this.key !== undefined) {
      this.keyBytes = [];
      this.lastString = undefined;
    }
  }

  private open(container: Container): void {
    if (this.depth === this.containers.length) {
      const grown = new Uint8Array(this.containers.length * 2);
      grown.set(this.containers);
      this.containers = grown;
    }
    this.containers[this.depth++] = container;
    this.started = true;
    this.expect = container === Container.Object ? Expect.Key : Expect.Value;
  }

  private close(byte: number): void {
    if (byte === CLOSE_BRACKET && this.depth === this.elementDepth && !this.arrayClosed) this.arrayClosed = true;
    this.depth--;
    this.expect = Expect.AfterValue;
    if (this.depth === 0) this.finished = true;
  }

  /**
   * A byte that cannot come here. When it is not JSON's own punctuation and only punctuation came since
   * a string's end, that end was most likely a quote left unescaped in the text: it is read as text, and
   * so is all since and this byte. Otherwise, inside the array (or after it, once it was damaged) the
   * element is one failure and the next one is looked for; before the array, or after the document's
   * end, the file is refused; between the array's end and the document's, the rest is one failure.
   */
  private misfit(byte: number, problem: string): void {
    if (this.closed !== undefined && !PUNCTUATION.has(byte)) return this.reopen(byte);
    if (this.inArray() || this.damaged) return this.breakElement(byte, problem);
    if (!this.arrayClosed || this.finished) this.fail(problem);
    // What follows a whole array is not needed: the elements stand, the rest is one failure.
    this.out.push({
      reason: `malformed JSON after the array, at line ${this.line}, column ${this.column}: ${problem}`,
    });
    this.ignoringRest = true;
  }

  /** The last string's closing quote was text: back into it, with all since (punctuation, a key) and `byte`. */
  private reopen(byte: number): void {
    const closed = this.closed!;
    this.closed = undefined;
    this.depth = closed.depth;
    this.arrayClosed = closed.arrayClosed;
    this.finished = closed.finished;
    this.stringIsKey = closed.isKey;
    this.lastString = undefined;
    this.expectingValueOf = undefined;
    this.quoteWasText(closed.quote);
    this.stringByte(byte);
  }

  /**
   * Whether the text of the element's own object before `quote` ends in `}`, `,`, `{` (whitespace
   * between): an element boundary read as text because a quote before it was taken the wrong way round.
   * Looks back over whitespace and three bytes only, so each byte is looked at again at most once.
   */
  private boundaryBefore(quote: Position): { offset: number; line: number } | undefined {
    if (this.elementStart === undefined || this.depth !== this.elementDepth! + 1 || this.oversized) return undefined;
    const pieces = this.element;
    const current = this.chunk.subarray(Math.max(0, this.from), this.at);
    let piece = pieces.length;
    let inPiece = quote.offset - this.elementBytes;
    let line = quote.line;
    const wanted = [CLOSE_BRACE, COMMA, OPEN_BRACE];
    let brace: { offset: number; line: number } | undefined;
    for (let offset = quote.offset - 1; offset >= 0; offset--) {
      inPiece--;
      while (inPiece < 0) inPiece += pieces[--piece].length;
      const byte = piece === pieces.length ? current[inPiece] : pieces[piece][inPiece];
      if (byte === NEWLINE) line--;
      if (WHITESPACE.has(byte)) continue;
      if (byte !== wanted.pop()) return undefined;
      if (byte === OPEN_BRACE) brace = { offset, line };
      if (wanted.length === 0) return brace;
    }
    return undefined;
  }

  /**
   * The element in progress ends where its text shows `}, {`: it is one failure, and the next element
   * starts at that `{`, inside its first key (the quote that opened it was read as closing a text).
   */
  private splitAt(boundary: { offset: number; line: number }, byte: number): void {
    this.keep(this.chunk.subarray(Math.max(0, this.from), this.at));
    const rest = Buffer.concat(this.element).subarray(boundary.offset);
    const quote = this.strayQuote ?? this.quote!;
    this.out.push({ reason: strayQuoteReason(quote), index: this.index++, line: this.elementStart!.line });
    this.element = [rest];
    this.elementBytes = rest.length;
    this.from = this.at;
    this.elementStart = { line: boundary.line };
    this.strayQuote = undefined;
    this.damaged = true;
    this.closed = undefined;
    this.quote = undefined;
    this.keyBytes = undefined;
    this.stringIsKey = true;
    this.stringByte(byte);
  }

  private inArray(): boolean {
    return this.elementDepth !== undefined && !this.arrayClosed && this.depth >= this.elementDepth;
  }

  private breakElement(byte: number, problem: string): void {
    const elementDepth = this.elementDepth!;
    const line = this.elementStart?.line ?? this.line;
    this.broken = {
      index: this.index++,
      line,
      problem: `${problem} at line ${this.line}, column ${this.column}`,
      resync: new ElementResync(this.openBrackets(), elementDepth, this.resyncLimit()),
    };
    this.damaged = true;
    this.dropElement();
    if (byte !== OPEN_BRACE || !this.afterBraceComma) return this.skipByte(byte);
    // `}, {` where the count said a key comes: the count is off, and this brace may well open the next element.
    this.broken.resync.candidateAt(byte);
    this.elementStart = { line: this.line };
    this.from = this.at;
  }

  private resyncLimit(): number {
    return Math.min(this.maxElementBytes, Math.max(RESYNC_MIN_BYTES, 2 * this.largestElement));
  }

  /** The brackets open, as bytes (`{`, `[`), outermost first. */
  private openBrackets(): Uint8Array {
    return this.containers
      .subarray(0, this.depth)
      .map((container) => (container === Container.Object ? OPEN_BRACE : OPEN_BRACKET));
  }

  /** Looks for the next element after a broken one; from there, reads on as usual. */
  private skipByte(byte: number): void {
    const step = this.broken!.resync.step(byte);
    if (step === ResyncStep.Candidate) {
      this.elementStart = { line: this.line };
      this.from = this.at;
    } else if (step === ResyncStep.Dropped) {
      this.dropElement();
    } else if (step === ResyncStep.Found) {
      this.out.push(this.brokenFailure(`skipped to the next element, on line ${this.elementStart!.line}`));
      this.broken = undefined;
      const elementDepth = this.elementDepth!;
      this.containers[elementDepth - 1] = Container.Array;
      this.depth = elementDepth;
      this.open(Container.Object);
      this.arrayClosed = false;
      this.finished = false;
      this.closed = undefined;
      this.strayQuote = undefined;
      this.structureByte(byte);
    }
  }

  private brokenFailure(then: string): UnreadableElement {
    const { index, line, problem } = this.broken!;
    return { reason: `not valid JSON: ${problem}; ${then}`, index, line };
  }

  private startElement(): void {
    this.elementStart = { line: this.line };
    this.from = this.at;
    this.strayQuote = undefined;
  }

  private dropElement(): void {
    this.element = [];
    this.elementBytes = 0;
    this.oversized = false;
    this.elementStart = undefined;
    this.from = -1;
  }

  private finishElement(to: number): void {
    this.keep(this.chunk.subarray(Math.max(0, this.from), to));
    const bytes = Buffer.concat(this.element);
    const { oversized, strayQuote } = this;
    this.largestElement = Math.max(this.largestElement, bytes.length);
    const position = { index: this.index++, line: this.elementStart!.line };
    this.dropElement();
    this.closed = undefined;
    this.out.push(parseElement(bytes, position, oversized ? this.maxElementBytes : undefined, strayQuote));
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

/** One element's bytes as its value, or why they are not one. */
function parseElement(
  bytes: Buffer,
  position: { index: number; line: number },
  tooLarge: number | undefined,
  strayQuote: Position | undefined,
): JsonArrayElement | UnreadableElement {
  if (tooLarge !== undefined) return { reason: `larger than ${tooLarge} bytes`, ...position };
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    return { reason: 'not valid UTF-8', ...position };
  }
  try {
    const value: unknown = JSON.parse(text);
    // Nesting past MAX_JSON_DEPTH overflows the recursive walks an importer makes of the element.
    const problem = jsonShapeProblem(value);
    return problem === undefined ? { value, ...position } : { reason: problem, ...position };
  } catch (error) {
    return {
      reason: strayQuote ? strayQuoteReason(strayQuote) : `not valid JSON: ${(error as Error).message}`,
      ...position,
    };
  }
}

function strayQuoteReason(quote: Position): string {
  return `not valid JSON: ${strayQuoteProblem(quote)}`;
}

function strayQuoteProblem({ line, column }: Position): string {
  return `a quote inside a text is not escaped (or a bracket is out of place) at line ${line}, column ${column}`;
}

function parseString(bytes: number[]): string | undefined {
  try {
    return JSON.parse(`"${utf8.decode(Buffer.from(bytes))}"`) as string;
  } catch {
    return undefined;
  }
}
