/** Deepest element nesting an imported HTML file may have; real pages stay far below it. */
export const MAX_HTML_NESTING = 256;

/** Elements with no content and no end tag. */
export const VOID_ELEMENTS = new Set([
  'area',
  'base',
  'br',
  'col',
  'embed',
  'hr',
  'img',
  'input',
  'link',
  'meta',
  'param',
  'source',
  'track',
  'wbr',
]);

/** Raw-text elements whose content the Markdown never shows: dropped, content and all. */
export const DROPPED_RAW_TEXT = new Set(['script', 'style', 'noscript']);
/** Elements whose content is text up to their end tag, tags inside it included (the standard's RCDATA). */
export const TEXT_ONLY = new Set(['title', 'textarea']);

const HEADINGS = ['h1', 'h2', 'h3', 'h4', 'h5', 'h6'];

/**
 * An open element (the key) that a new sibling start tag closes, as the converter's parser (node-html-parser)
 * closes it: `<li>` an open `<li>`, `<p>` or `<div>` an open `<p>`, and so on.
 */
export const CLOSED_BY_START: Record<string, Set<string>> = {
  li: new Set(['li']),
  p: new Set(['p', 'div']),
  b: new Set(['div']),
  td: new Set(['td', 'th']),
  th: new Set(['td', 'th']),
  ...Object.fromEntries(HEADINGS.map((heading) => [heading, new Set([heading])])),
};

/** An open element (the key) that the end tag of its parent closes with it, as the parser does. */
export const CLOSED_BY_END: Record<string, Set<string>> = {
  li: new Set(['ul', 'ol']),
  a: new Set(['div']),
  b: new Set(['div']),
  i: new Set(['div']),
  p: new Set(['div']),
  td: new Set(['tr', 'table']),
  th: new Set(['tr', 'table']),
};

/** Elements the converter writes as blocks (node-html-markdown's block list): a page may be cut beside one. */
export const BLOCK_ELEMENTS = new Set([
  ...['address', 'article', 'aside', 'audio', 'blockquote', 'body', 'canvas', 'center', 'dd', 'dir', 'div', 'dl'],
  ...['dt', 'fieldset', 'figcaption', 'figure', 'footer', 'form', 'frameset', ...HEADINGS, 'header', 'hgroup'],
  ...['hr', 'html', 'isindex', 'li', 'main', 'menu', 'nav', 'noframes', 'ol', 'output', 'p', 'pre', 'section'],
  ...['table', 'tbody', 'td', 'tfoot', 'th', 'thead', 'tr', 'ul'],
]);

/**
 * Elements whose Markdown is more than blank lines around their content (a list's numbering, a table's
 * header row, emphasis marks, a link): a page cut inside one of them converts differently, so it is cut
 * there only when nothing else is near.
 */
export const SHAPING_ELEMENTS = new Set([
  ...['a', 'b', 'strong', 'i', 'em', 'del', 's', 'strike', 'code', 'pre', 'ul', 'ol', 'li', 'blockquote'],
  ...['table', 'caption', 'thead', 'tbody', 'tfoot', 'tr', 'td', 'th', 'dl', ...HEADINGS],
]);
