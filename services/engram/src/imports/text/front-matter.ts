import { parseDocument } from 'yaml';

/**
 * What a note's YAML front matter says, in the shapes notes use: scalars (as text) and lists of
 * scalars. A null-prototype record: a `__proto__` or `constructor` key is an ordinary key here.
 */
export type FrontMatter = Record<string, string | string[]>;

/**
 * Larger blocks are not front matter (notes keep a few lines there); the note is read as text. The
 * limit also bounds the parser's work: its slowest input this size (deep flow nesting) takes ~0.5 s.
 */
export const MAX_FRONT_MATTER_BYTES = 16 * 1024;
/** Anchors and aliases are rare in notes; a pile of them is a "billion laughs" bomb. */
const MAX_ALIASES = 50;
const OPENING = /^---[ \t]*\r?\n/;
const CLOSING = /^(?:---|\.\.\.)[ \t]*$/;

/**
 * Splits `---` front matter from a note and parses it with a real YAML 1.2 parser (core schema: no
 * custom tags, no merge keys, nothing executed) within size and alias limits. Nested maps and other
 * values of no use to an import are left out. A block that does not close, is too large, or is not
 * valid YAML is not front matter: the whole note stays its body.
 */
export function splitFrontMatter(text: string): { data: FrontMatter; body: string } {
  const block = frontMatterBlock(text);
  const data = block === undefined ? undefined : parseBlock(block.yaml);
  if (block === undefined || data === undefined) return { data: Object.create(null) as FrontMatter, body: text };
  return { data, body: text.slice(block.end) };
}

/** The YAML between the fences and where the body starts, found line by line within the size limit. */
function frontMatterBlock(text: string): { yaml: string; end: number } | undefined {
  const opening = OPENING.exec(text.slice(0, 16));
  if (!opening) return undefined;
  const start = opening[0].length;
  let lineStart = start;
  while (lineStart - start <= MAX_FRONT_MATTER_BYTES) {
    const newline = text.indexOf('\n', lineStart);
    const lineEnd = newline === -1 ? text.length : newline;
    if (CLOSING.test(text.slice(lineStart, lineEnd).replace(/\r$/, ''))) {
      return { yaml: text.slice(start, lineStart), end: newline === -1 ? text.length : newline + 1 };
    }
    if (newline === -1) return undefined;
    lineStart = newline + 1;
  }
  return undefined;
}

function parseBlock(yaml: string): FrontMatter | undefined {
  let value: unknown;
  try {
    const document = parseDocument(yaml, { schema: 'core', merge: false, uniqueKeys: false, prettyErrors: false });
    // Warnings are unknown tags (`!!js/function`…): resolved as plain strings, but not what notes hold.
    if (document.errors.length > 0 || document.warnings.length > 0) return undefined;
    // Maps come out as Map objects: no key of the note ever meets an object's prototype.
    value = document.toJS({ maxAliasCount: MAX_ALIASES, mapAsMap: true });
  } catch {
    return undefined; // an alias bomb, or nesting deeper than the stack
  }
  const data = Object.create(null) as FrontMatter;
  if (!(value instanceof Map)) return data;
  for (const [key, entry] of value) {
    if (typeof key !== 'string' && typeof key !== 'number') continue;
    const kept = Array.isArray(entry)
      ? entry.filter(isScalar).map(String)
      : isScalar(entry)
        ? String(entry)
        : undefined;
    if (kept !== undefined) data[String(key)] = kept;
  }
  return data;
}

function isScalar(value: unknown): value is string | number | boolean {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
}

/** The values of a front matter key as a list (`tags: a, b` and `tags: [a, b]` alike). */
export function listOf(value: string | string[] | undefined): string[] {
  if (value === undefined) return [];
  const list = Array.isArray(value) ? value : value.split(',');
  return list.map((entry) => entry.trim().replace(/^#/, '')).filter((entry) => entry !== '');
}
