import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { pdfOf } from '../../testing/import-fixtures';
import { pdfText } from './pdf-text';

/** Generated PDFs and the text pdf-parse gave for them before pdf.js was used directly: the same now. */
const PDF_SET: { pages: string[][]; text: string; starts: [number, number][] }[] = [
  {
    pages: [['Quarterly report.', 'Revenue grew.'], ['Second page about costs.']],
    text: 'Quarterly report.\nRevenue grew.\n\nSecond page about costs.',
    starts: [
      [1, 0],
      [2, 33],
    ],
  },
  { pages: [['One line only']], text: 'One line only', starts: [[1, 0]] },
  {
    pages: [['Line (with) parens \\ and backslash', 'Second', 'Third line here'], [], ['After an empty page']],
    text: 'Line (with) parens \\ and backslash\nSecond\nThird line here\n\nAfter an empty page',
    starts: [
      [1, 0],
      [3, 59],
    ],
  },
];

describe('PDF text read with pdf.js directly', () => {
  it('reads the generated PDF set exactly as before: lines, pages, empty pages left out', async () => {
    for (const { pages, text, starts } of PDF_SET) {
      const read = await pdfText(pdfOf(pages), 'set.pdf');
      assert.equal(read.text, text);
      assert.deepEqual(
        read.pages.map((page) => [page.number, page.start]),
        starts,
      );
    }
  });

  it('refuses a damaged PDF naming the file', async () => {
    await assert.rejects(
      pdfText(Buffer.from('%PDF-1.7\n1 0 obj <<'), 'damaged.pdf'),
      /damaged\.pdf is not a readable PDF/,
    );
  });

  it('uses pdfjs-dist itself: pdf-parse (and its pinned pdf.js and canvas) is no longer a dependency', () => {
    const manifest = JSON.parse(readFileSync(join(__dirname, '..', '..', '..', 'package.json'), 'utf8'));
    assert.equal(manifest.dependencies['pdf-parse'], undefined);
    assert.ok(manifest.dependencies['pdfjs-dist']);
  });
});
