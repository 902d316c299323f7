import { NodeHtmlMarkdown } from 'node-html-markdown';
import { blockQuote, LINE_START_ESCAPE, listItem, tableCell } from './linear-markdown-rules';
import { table } from './linear-table-rule';
import { ListNumbering } from './list-numbering';
import { wellFormedHtmlPieces } from './well-formed-html';

/**
 * An HTML page's Markdown, or undefined when its elements nest more than MAX_HTML_NESTING deep. The
 * converter is given the page rewritten well-formed, piece by piece (well-formed-html.ts), so its time
 * grows with the page's length, not with its square or cube, and the stock rules that read a long run of
 * one character once per character are replaced by their linear equivalents (linear-markdown-rules.ts).
 */
export function htmlMarkdown(html: string): string | undefined {
  const pieces = wellFormedHtmlPieces(html);
  if (!pieces) return undefined;
  const converter = linearConverter(new ListNumbering());
  return pieces
    .map((piece) => converter.translate(piece))
    .filter((markdown) => markdown.trim() !== '')
    .join('\n\n')
    .trim();
}

/** The converter for one page: its lists are numbered, and their items go on, across the page's pieces. */
function linearConverter(numbering: ListNumbering): NodeHtmlMarkdown {
  const converter = new NodeHtmlMarkdown(
    { lineStartEscape: LINE_START_ESCAPE },
    { li: listItem, ol: numbering.list, ul: numbering.list, blockquote: blockQuote, table },
  );
  // Table cells have their own collections, which the constructor fills from the stock rules.
  converter.tableTranslators.set('th,td', tableCell, true);
  converter.tableRowTranslators.set('th,td', tableCell, true);
  return converter;
}
