/** What one byte did to a search for the next element (see ElementResync). */
export enum ResyncStep {
  /** Nothing yet. */
  Searching,
  /** A `{` that may open the next element: keep its bytes from here. */
  Candidate,
  /** The candidate was not one: drop what was kept. */
  Dropped,
  /** The candidate opens the next element; this byte (its first key's quote, or `}`) is its own. */
  Found,
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const WHITESPACE = new Set([0x20, 0x09, 0x0a, 0x0d]);
/** What may follow a string in JSON; a quote followed by anything else is taken as text. */
const AFTER_STRING = new Set([0x2c, 0x3a, 0x7d, 0x5d]);

/**
 * Finds where the next element of an array of objects starts once the structure of the current one
 * could not be followed: at the next `}`, `,`, `{` followed by a key's quote or `}` (whitespace allowed
 * between), where that `}` brings the array back to its own depth as counted from the break (strings
 * still followed, a quote that nothing may follow taken as text). When the count cannot be trusted
 * (a bracket closes one of the other kind, or it falls below the array's depth) or `limit` bytes went
 * by without such a boundary, the next such sequence at any depth is taken. One pass, constant work per
 * byte; memory for the brackets open.
 */
export class ElementResync {
  private inString = false;
  private escaped = false;
  private quoteSeen = false;
  private lost = false;
  private skipped = 0;
  /** 0: nothing; 1: a `}` at the array's depth; 2: then `,`; 3: then `{`. */
  private state = 0;
  private depth: number;

  /** `open`: the kind of each bracket open at the break (0x7b `{`, 0x5b `[`), outermost first; kept. */
  constructor(
    private open: Uint8Array,
    private readonly elementDepth: number,
    private readonly limit: number,
  ) {
    this.depth = open.length;
  }

  step(byte: number): ResyncStep {
    this.skipped++;
    const structural = this.count(byte);
    if (WHITESPACE.has(byte) && this.state !== 0) return ResyncStep.Searching;
    if (this.state === 3) {
      this.state = 0;
      return byte === QUOTE || byte === 0x7d ? ResyncStep.Found : ResyncStep.Dropped;
    }
    if (byte === 0x7d) {
      this.state = this.atArrayDepth(structural) ? 1 : 0;
    } else if (byte === 0x2c && this.state === 1) {
      this.state = 2;
    } else if (byte === 0x7b && this.state === 2) {
      this.state = 3;
      return ResyncStep.Candidate;
    } else {
      this.state = 0;
    }
    return ResyncStep.Searching;
  }

  /** Whether a `}` closes an element of the array, as far as can be told. */
  /** The break came at a `{` right after `}` and `,`: that brace is the first candidate. */
  candidateAt(brace: number): void {
    this.count(brace);
    this.state = 3;
  }

  private atArrayDepth(structural: boolean): boolean {
    return (structural && this.depth === this.elementDepth) || this.lost || this.skipped > this.limit;
  }

  /** Follows strings and brackets; whether the byte was read outside a string. */
  private count(byte: number): boolean {
    if (this.quoteSeen) {
      if (WHITESPACE.has(byte)) return false;
      this.quoteSeen = false;
      if (!AFTER_STRING.has(byte)) return this.stringByte(byte);
      this.inString = false;
    }
    if (this.inString) return this.stringByte(byte);
    if (byte === QUOTE) this.inString = true;
    else if (byte === 0x7b || byte === 0x5b) this.push(byte);
    else if (byte === 0x7d || byte === 0x5d) this.pop(byte === 0x7d ? 0x7b : 0x5b);
    return true;
  }

  private push(bracket: number): void {
    if (this.lost) return;
    if (this.depth === this.open.length) {
      const grown = new Uint8Array(Math.max(16, this.open.length * 2));
      grown.set(this.open);
      this.open = grown;
    }
    this.open[this.depth++] = bracket;
  }

  private pop(bracket: number): void {
    if (this.lost) return;
    this.depth--;
    if (this.depth < this.elementDepth || this.open[this.depth] !== bracket) this.lost = true;
  }

  private stringByte(byte: number): false {
    if (this.escaped) this.escaped = false;
    else if (byte === BACKSLASH) this.escaped = true;
    else if (byte === QUOTE) this.quoteSeen = true;
    return false;
  }
}
