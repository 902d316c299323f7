import { RESERVED_ATTRIBUTE_PREFIX } from './piece-cut-marks';

/** One start or end tag read from an HTML page, its attributes rewritten so that no parser can misread them. */
export interface HtmlTag {
  name: string;
  closing: boolean;
  /** ` name="value"` pairs, values with every quote and angle bracket written as a character reference. */
  attributes: string;
  selfClosing: boolean;
  /** Index just past the tag's `>`. */
  end: number;
}

/** The `<` starts no tag (it stays text), or the tag runs to the end of the page (it and the rest are dropped). */
export type NotATag = 'text' | 'unended';

const TAG_NAME_CHAR = /[-.:0-9_A-Za-z]/;
const TAG_NAME_START = /[A-Za-z]/;
/** Attribute names the converter's parser reads back as written; others (`"`, `<`, `(` …) are left out. */
const KEPT_ATTRIBUTE_NAME = /^[a-z_:][-a-z0-9_:.]*$/;
const ATTRIBUTE_ESCAPES: Record<string, string> = { '"': '&quot;', "'": '&#39;', '<': '&lt;', '>': '&gt;' };

/**
 * Reads the tag whose `<` is at `at`, as the HTML standard tokenizes one: a quoted attribute value runs to
 * its closing quote, `>` included, and a tag with no end is dropped with the rest of the page. Tag names
 * are the ones the converter's parser accepts (letters, digits, `-._:`), so `<3` or `<a,b>` stay text
 * as they did. Each character is read once.
 */
export function readTag(html: string, at: number): HtmlTag | NotATag {
  const closing = html[at + 1] === '/';
  const nameStart = at + (closing ? 2 : 1);
  if (!TAG_NAME_START.test(html[nameStart] ?? '')) return 'text';
  let index = nameStart + 1;
  while (index < html.length && TAG_NAME_CHAR.test(html[index])) index += 1;
  const after = html[index];
  if (after !== '>' && after !== '/' && !isSpace(after)) return 'text';
  const name = html.slice(nameStart, index).toLowerCase();
  let attributes = '';
  for (;;) {
    while (index < html.length && (isSpace(html[index]) || (html[index] === '/' && html[index + 1] !== '>'))) {
      index += 1;
    }
    if (index >= html.length) return 'unended';
    if (html[index] === '>') return { name, closing, attributes, selfClosing: false, end: index + 1 };
    if (html[index] === '/') return { name, closing, attributes, selfClosing: true, end: index + 2 };
    const attribute = readAttribute(html, index);
    if (attribute === 'unended') return 'unended';
    if (KEPT_ATTRIBUTE_NAME.test(attribute.name) && !attribute.name.startsWith(RESERVED_ATTRIBUTE_PREFIX)) {
      attributes +=
        attribute.value === undefined
          ? ` ${attribute.name}`
          : ` ${attribute.name}="${attribute.value.replace(/["'<>]/g, (char) => ATTRIBUTE_ESCAPES[char])}"`;
    }
    index = attribute.end;
  }
}

function readAttribute(html: string, at: number): { name: string; value?: string; end: number } | 'unended' {
  let index = at + 1;
  while (index < html.length && !isSpace(html[index]) && !'/>='.includes(html[index])) index += 1;
  const name = html.slice(at, index).toLowerCase();
  while (index < html.length && isSpace(html[index])) index += 1;
  if (html[index] !== '=') return { name, end: index };
  index += 1;
  while (index < html.length && isSpace(html[index])) index += 1;
  const quote = html[index];
  if (quote === undefined) return 'unended';
  if (quote === '"' || quote === "'") {
    const close = html.indexOf(quote, index + 1);
    if (close === -1) return 'unended';
    return { name, value: html.slice(index + 1, close), end: close + 1 };
  }
  const valueStart = index;
  while (index < html.length && !isSpace(html[index]) && html[index] !== '>') index += 1;
  return { name, value: html.slice(valueStart, index), end: index };
}

function isSpace(char: string | undefined): boolean {
  return char === ' ' || char === '\n' || char === '\t' || char === '\r' || char === '\f';
}
