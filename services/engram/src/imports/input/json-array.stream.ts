import { Readable } from 'node:stream';
import { ArrayScanner } from './json-array.scanner';

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

/**
 * Streams the elements of a JSON array out of a file of any size: bytes are scanned for structure
 * (strings, nesting, what may follow what) and each element is parsed on its own once complete, so
 * memory holds one element at a time (at most `maxElementBytes`); values outside the array are scanned
 * past, never kept. A file whose structure cannot be followed before its array (no array, unbalanced
 * brackets, garbage) or after its end is refused with the file, line and column. Within the array, an
 * element that cannot be read (not JSON, not UTF-8, too large) is yielded as unreadable and the next one
 * read; so is a cut at the end of the file, and what follows a whole array inside the top-level object.
 *
 * A quote left unescaped inside a text (`"he said "hi" to me"`) would end the string early and leave
 * everything after it misread. A quote is therefore taken as a string's end only when what follows it
 * may follow a string there (`:` after a key; `,` or the closing bracket after a value), else as text,
 * and the element's bounds stay exact; so when what followed seemed to fit but the next token does not
 * (`"he said "hi", then left"`). When even that cannot tell (see ArrayScanner), the element is one
 * failure and reading goes on at the next element, which ElementResync finds. Linear in the file.
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
