import { NodeHtmlMarkdown } from 'node-html-markdown';
import { wellFormedHtmlPieces } from './well-formed-html';

/**
 * An HTML page's Markdown, or undefined when its elements nest more than MAX_HTML_NESTING deep. The
 * converter is given the page rewritten well-formed, piece by piece (well-formed-html.ts), so its time
 * grows with the page's length, not with its square or cube.
 */
export function htmlMarkdown(html: string): string | undefined {
  const pieces = wellFormedHtmlPieces(html);
  if (!pieces) return undefined;
  const converter = new NodeHtmlMarkdown();
  return pieces
    .map((piece) => converter.translate(piece))
    .filter((markdown) => markdown.trim() !== '')
    .join('\n\n')
    .trim();
}
