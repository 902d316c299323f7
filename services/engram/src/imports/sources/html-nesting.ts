/** Deepest element nesting an imported HTML file may have; real pages stay far below it. */
export const MAX_HTML_NESTING = 256;

/**
 * Elements that never deepen the tree: void ones, and the ones the parser closes when a sibling opens
 * (a page of unclosed `<p>` or `<li>` is common, and cheap to convert).
 */
const NON_NESTING = new Set([
  ...['area', 'base', 'br', 'col', 'embed', 'hr', 'img', 'input', 'link', 'meta', 'param', 'source', 'track', 'wbr'],
  ...['p', 'li', 'td'],
]);

const NAME_CHAR = /[A-Za-z0-9:-]/;

/**
 * Whether an HTML document's elements nest deeper than MAX_HTML_NESTING, an unclosed tag staying open as
 * it does in the parser. The HTML-to-Markdown converter's parser takes cubic time in that depth when
 * tags are left unclosed (12 KB of `<b>` took 40 s of the process's only thread) and its visitor recurses
 * once per level, so such a file is refused before either runs. One pass over the text, each character
 * read at most twice; a closing tag looks back over at most MAX_HTML_NESTING open ones.
 */
export function nestsTooDeep(html: string): boolean {
  const open: string[] = [];
  for (let at = html.indexOf('<'); at !== -1; at = html.indexOf('<', at + 1)) {
    const closing = html[at + 1] === '/';
    const nameStart = at + (closing ? 2 : 1);
    let end = nameStart;
    while (end < html.length && NAME_CHAR.test(html[end])) end += 1;
    if (end === nameStart) continue;
    const name = html.slice(nameStart, end).toLowerCase();
    while (end < html.length && html[end] !== '>' && html[end] !== '<') end += 1;
    if (html[end] !== '>') {
      at = end - 1;
      continue;
    }
    if (closing) {
      const opened = open.lastIndexOf(name);
      if (opened !== -1) open.length = opened;
    } else if (html[end - 1] !== '/' && !NON_NESTING.has(name)) {
      open.push(name);
      if (open.length > MAX_HTML_NESTING) return true;
    }
    at = end;
  }
  return false;
}
