import {
  NodeHtmlMarkdownOptions,
  PostProcessResult,
  TranslatorConfig,
  TranslatorConfigFactory,
} from 'node-html-markdown';
import { listItemStart } from './list-numbering';

/*
 * node-html-markdown's own rules, written to cost time in proportion to the text they read. Its stock patterns
 * backtrack over a run of one kind of character once for each character of it, so one long run (a word in a
 * list item, digits in a paragraph, blank lines in a code block quoted or in a table cell) costs the square
 * of its length. Each rule here writes exactly the Markdown of the stock rule it replaces (a table's: in
 * linear-table-rule.ts).
 */

/**
 * The stock line-start escape (`+ ` `# ` `>` … after a line's leading whitespace, and `<digits>. ` anywhere),
 * with digits read from the first of a run and leading whitespace from the line's start only: the stock
 * pattern tried each later digit of a run again, and from each of many blank lines read all those after it.
 * The escape lands where it did, as the whitespace before it is written back unchanged.
 */
export const LINE_START_ESCAPE: NodeHtmlMarkdownOptions['lineStartEscape'] = [
  /^([^\S\r\n\u2028\u2029]*?)((?:\+\s)|(?:[=>-])|(?:#{1,6}\s))|(?:(?<!\d)(\d+)(\.\s))/gm,
  '$1$3\\$2$4',
];

/**
 * A list item: its marker (list-numbering.ts), then its text with each line break written `  \n` and indented,
 * as the stock one. The rest of an item cut in two that starts with a list (the cut fell in a list inside the
 * item) is that list's lines alone, as they carry their own indentation.
 */
export const listItem: TranslatorConfigFactory = (context) => {
  const indentation = context.options.indent.repeat(+(context.indentLevel || 0));
  const start = listItemStart(context);
  const listFirst = start.goesOn && startsWithList(context.node);
  return {
    prefix: listFirst ? '' : indentation + start.marker,
    surroundingNewlines: 1,
    postprocess: ({ content }) => {
      const written = !isWhiteSpaceOnly(content);
      start.ended(written);
      if (!written) return PostProcessResult.RemoveNode;
      return markLineEnds(breakLines(listFirst ? trimNewlines(content).trimEnd() : content.trim(), indentation));
    },
  };
};

type ItemNode = Parameters<TranslatorConfigFactory>[0]['node'];

/**
 * Whether the item's first content is a list, inside the elements that open it (the ones reopened at a cut:
 * a `div` around a page's table of contents); at most as many steps as elements nest.
 */
function startsWithList(item: ItemNode): boolean {
  for (let node = firstContent(item); node !== undefined; node = firstContent(node)) {
    if (node.tagName === 'UL' || node.tagName === 'OL') return true;
  }
  return false;
}

/** The element's first child past blank text, when it is an element. */
function firstContent(element: ItemNode): ItemNode | undefined {
  const children: ArrayLike<ItemNode | { textContent: string | null }> = element.childNodes;
  for (let index = 0; index < children.length; index += 1) {
    const child = children[index];
    if ('tagName' in child) return child;
    if (/\S/.test(child.textContent ?? '')) return undefined;
  }
  return undefined;
}

/** A block quote: each line given its `>`. A fixed rule, as the stock one: an empty quote is not visited. */
export const blockQuote: TranslatorConfig = {
  postprocess: ({ content }) => trimNewlines(content).replace(/^(>*)[^\S\r\n]?/gm, '>$1 '),
};

/** A table cell: its text on one line between pipes. */
export const tableCell: TranslatorConfigFactory = ({ visitor }) => ({
  surroundingNewlines: false,
  childTranslators: visitor.instance.tableCellTranslators,
  prefix: ' ',
  postfix: ' |',
  postprocess: ({ content }) =>
    trimNewlines(content)
      .replace('|', '\\|')
      .replace(/(?:\r?\n)+/g, ' ')
      .trim(),
});

function isWhiteSpaceOnly(text: string): boolean {
  return !/\S/.test(text);
}

/** The text without the line feeds that start and end it (the stock `/^\n+|\n+$/g` reads a run once per feed). */
export function trimNewlines(text: string): string {
  let start = 0;
  while (text[start] === '\n') start += 1;
  let end = text.length;
  while (end > start && text[end - 1] === '\n') end -= 1;
  return text.slice(start, end);
}

/**
 * Each run of line breaks after a character written `  \n` and the indentation, unless the next text is a
 * list marker (`-`, `*`, `+`, `<digits>.`) or a table's `|`. The stock pattern looked past every break of a run
 * and then past each space of the whitespace after it; this one finds the next text once per run of whitespace.
 */
export function breakLines(text: string, indentation: string): string {
  const next = nextTextReader(text);
  return text.replace(/([^\r\n])(?:\r?\n)+(?!\r?\n)/g, (breaks: string, before: string, at: number) =>
    next(at + breaks.length).listOrTable ? breaks : `${before}  \n${indentation}`,
  );
}

/**
 * Whether the text's first character after `from` that is not whitespace starts a list marker or a table row.
 * Asked with `from` never decreasing, it reads each character once: between two asks in one run of whitespace
 * the answer is the one already found.
 */
function nextTextReader(text: string): (from: number) => { listOrTable: boolean } {
  let found = { at: -1, listOrTable: false };
  const nonSpace = /\S/g;
  const listNumber = /\d+\./y;
  return (from) => {
    if (from <= found.at) return found;
    nonSpace.lastIndex = from;
    const at = nonSpace.exec(text)?.index ?? text.length;
    listNumber.lastIndex = at;
    found = { at, listOrTable: /[-*+|]/.test(text.charAt(at)) || listNumber.test(text) };
    return found;
  };
}

/**
 * The spaces that end a line after its text written as two (a Markdown line break). The stock pattern
 * `(\S+?)[^\S\r\n]+$` started again at each character of the line's last word.
 */
export function markLineEnds(text: string): string {
  return text.replace(/(?<=\S)[^\S\r\n]+$/gm, '  ');
}
