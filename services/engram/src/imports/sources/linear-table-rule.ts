import { PostProcessResult, TranslatorConfigFactory } from 'node-html-markdown';

/** A column whose widest cell is at most this long is padded to it, as the stock rule pads every column… */
const ALWAYS_PADDED_WIDTH = 80;
/**
 * …and a wider one only if that at most multiplies its cells' text by this: the stock rule writes one long
 * cell's width again on every row of its column (a 60 KB cell over 200 short rows: 9.5 MB, most of it spaces).
 */
const PADDED_TEXT_FACTOR = 4;

/**
 * A table as node-html-markdown's stock rule writes it (an optional caption line, each row's cells padded to
 * their column's widest, a separator row after the first), with each row's outer pipes removed in one pass
 * (the stock pattern `^(?:\|)?(.+)\s*\|\s*$` read the whitespace after each of a row's characters again), and
 * a column left unpadded, its separator `---`, where padding would make the Markdown grow past the page's
 * length times a constant.
 */
export const table: TranslatorConfigFactory = ({ visitor }) => ({
  surroundingNewlines: 2,
  childTranslators: visitor.instance.tableTranslators,
  postprocess: ({ content, nodeMetadata, node }) => {
    const rows = content
      .split(/\r\n?|\n/)
      .map(rowBetweenPipes)
      .filter((row) => row !== '')
      .map((row) => row.split(' |').map((cell) => cell.trim()));
    if (rows.length === 0) return PostProcessResult.RemoveNode;
    const widths = paddedWidths(rows);
    const caption = nodeMetadata.get(node)?.tableMeta?.caption;
    const lines = rows.map(
      (cells) => `| ${widths.map((width, index) => (cells[index] ?? '').padEnd(width ?? 0)).join(' | ')} |`,
    );
    lines.splice(1, 0, `|${widths.map((width) => ` ${width === undefined ? '---' : '-'.repeat(width)} |`).join('')}`);
    return `${caption ? `${caption}\n` : ''}${lines.join('\n')}\n`;
  },
});

/**
 * The row without its first pipe and its last one (with the whitespace around that), as the stock pattern
 * leaves it: unchanged unless its last character other than whitespace is a pipe; a line separator (U+2028,
 * U+2029) ends what can stand before that pipe.
 */
export function rowBetweenPipes(row: string): string {
  let pipe = row.length - 1;
  while (pipe >= 0 && /\s/.test(row[pipe])) pipe -= 1;
  if (pipe === -1 || row[pipe] !== '|') return row;
  let spaceFrom = pipe;
  while (spaceFrom > 0 && /\s/.test(row[spaceFrom - 1])) spaceFrom -= 1;
  const separator = row.search(/[\u2028\u2029]/);
  const lineEnd = separator === -1 ? row.length : separator;
  const end = pipe <= lineEnd ? pipe : spaceFrom <= lineEnd ? lineEnd : -1;
  for (const start of row.startsWith('|') ? [1, 0] : [0]) if (end >= start + 1) return row.slice(start, end);
  return row;
}

/** Each column's padded width, or undefined for a column left unpadded (ALWAYS_PADDED_WIDTH, PADDED_TEXT_FACTOR). */
function paddedWidths(rows: string[][]): (number | undefined)[] {
  const widest: number[] = [];
  const text: number[] = [];
  for (const cells of rows) {
    cells.forEach((cell, index) => {
      widest[index] = Math.max(widest[index] ?? 0, cell.length);
      text[index] = (text[index] ?? 0) + cell.length;
    });
  }
  return widest.map((width, index) =>
    width <= ALWAYS_PADDED_WIDTH || rows.length * width <= PADDED_TEXT_FACTOR * text[index] ? width : undefined,
  );
}
