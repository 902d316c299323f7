import { Lexer, Token, Tokens } from 'marked';

/** More links than this in one note are not kept (they are metadata, not content). */
const MAX_LINKS = 50;
/**
 * Only the start of a note is tokenised for its outline (the whole note is still imported): marked is
 * linear, but bracket-heavy text costs it ~2 µs a character, so this bounds a hostile note to ~0.5 s.
 */
export const MAX_OUTLINE_CHARS = 256 * 1024;
/** Code, raw HTML and link targets: what looks like a heading or a `[[link]]` there is not one. */
const OPAQUE = new Set(['code', 'codespan', 'html']);

export interface MarkdownOutline {
  /** The text of the first level-1 heading. */
  heading?: string;
  /** `[[wiki link]]` targets in order of appearance, without duplicates. */
  links: string[];
}

/**
 * The first `# heading` and the `[[wiki links]]` of a note's first MAX_OUTLINE_CHARS characters,
 * read from marked's tokens so that code
 * blocks, inline code and HTML are skipped. Links are found by one left-to-right scan of each run of
 * plain text, so the work stays linear in the note's length.
 */
export function markdownOutline(markdown: string): MarkdownOutline {
  const tokens = new Lexer({ gfm: true }).lex(markdown.slice(0, MAX_OUTLINE_CHARS));
  const first = tokens.find((token): token is Tokens.Heading => token.type === 'heading' && token.depth === 1);
  const heading = first?.text.trim();
  const links = new Set<string>();
  for (const text of plainTexts(tokens)) {
    for (const link of wikiLinks(text)) {
      if (links.size >= MAX_LINKS) break;
      links.add(link);
    }
  }
  return { heading: heading || undefined, links: [...links] };
}

/** The raw text of a token list outside code and HTML, each run as one string. */
function plainTexts(tokens: readonly Token[]): string[] {
  const runs: string[] = [];
  let run = '';
  const visit = (list: readonly Token[]) => {
    for (const token of list) {
      if (OPAQUE.has(token.type)) {
        runs.push(run);
        run = '';
      } else if ('tokens' in token && Array.isArray(token.tokens) && token.tokens.length > 0) {
        visit(token.tokens);
      } else if (token.type === 'list' || token.type === 'table') {
        runs.push(run);
        run = '';
        visit(childrenOf(token));
      } else {
        run += token.raw;
      }
    }
    runs.push(run);
    run = '';
  };
  visit(tokens);
  return runs.filter((text) => text.includes('[['));
}

function childrenOf(token: Token): Token[] {
  if (token.type === 'list') return token.items as Token[];
  if (token.type === 'table') {
    const cells = [...token.header, ...(token.rows as { tokens: Token[] }[][]).flat()] as { tokens: Token[] }[];
    return cells.flatMap((cell) => cell.tokens);
  }
  return [];
}

/** `[[target]]` and `[[target|label]]` on one line; each character is looked at a bounded number of times. */
function wikiLinks(text: string): string[] {
  const found: string[] = [];
  let from = 0;
  for (;;) {
    const open = text.indexOf('[[', from);
    if (open === -1) return found;
    let end = open + 2;
    while (end < text.length && text[end] !== ']' && text[end] !== '\n') end++;
    const target = text.slice(open + 2, end).trim();
    if (text.startsWith(']]', end) && target !== '') found.push(target);
    from = Math.max(end, open + 1);
  }
}
