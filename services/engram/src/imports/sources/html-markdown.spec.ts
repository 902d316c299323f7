import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { htmlMarkdown } from './html-markdown';
import { wellFormedHtmlPieces } from './well-formed-html';

const ITEMS = 3000;

/** A list long enough to be cut into several pieces, its items numbered in their text. */
function longList(kind: string, item: (number: number) => string, count = ITEMS, start = ''): string {
  const items = Array.from({ length: count }, (_, index) => `<li>${item(index + 1)}</li>`).join('\n');
  return `<p>Steps:</p><${kind}${start}>${items}</${kind}><p>Done.</p>`;
}

function lines(markdown: string): string[] {
  return markdown.split('\n').filter((line) => line.trim() !== '');
}

describe('HTML import: Markdown of a page converted in pieces', () => {
  it('an ordered list cut between pieces goes on counting where the cut fell', () => {
    const page = longList('ol', (number) => `item ${number}`);
    assert.ok(wellFormedHtmlPieces(page)!.length > 2, 'the list is cut more than once');
    const items = Array.from({ length: ITEMS }, (_, index) => `${index + 1}. item ${index + 1}`);
    assert.deepEqual(lines(htmlMarkdown(page)!), ['Steps:', ...items, 'Done.']);

    const fromHundred = lines(htmlMarkdown(longList('ol', (number) => `item ${number}`, ITEMS, ' start="100"'))!);
    assert.deepEqual(
      fromHundred.slice(1, -1),
      items.map((line, index) => line.replace(/^\d+/, `${index + 100}`)),
    );
  });

  it('a list is cut between its items, when an item ends within another forced piece', () => {
    // Items with a tag inside: a cut at the next tag once a piece is full fell inside one, cutting it in two.
    for (const kind of ['ol', 'ul']) {
      const page = longList(kind, (number) => `item <b>${number}</b>`);
      const pieces = wellFormedHtmlPieces(page)!;
      assert.ok(pieces.length > 2, 'the list is cut more than once');
      for (const piece of pieces.slice(0, -1)) assert.ok(piece.endsWith(`</li></${kind}>`), piece.slice(-40));
      const marker = (index: number) => (kind === 'ol' ? `${index + 1}.` : '*');
      const items = Array.from({ length: ITEMS }, (_, index) => `${marker(index)} item **${index + 1}**`);
      assert.deepEqual(lines(htmlMarkdown(page)!), ['Steps:', ...items, 'Done.']);
    }
  });

  it('an item too long to wait for its end goes on after the cut under its own number or bullet', () => {
    // Items of 12,000 tags and texts: a forced cut waits for an item's end for 4,000 more, then cuts inside.
    const longItem = (number: number) => `item ${number}${` <b>${number}</b>`.repeat(3000)}`;
    for (const kind of ['ol', 'ul']) {
      const page = longList(kind, longItem, 4);
      assert.ok(wellFormedHtmlPieces(page)!.length > 4, 'the items are cut');
      const markdown = lines(htmlMarkdown(page)!).slice(1, -1);
      const markers = markdown.filter((line) => !line.startsWith(' '));
      assert.deepEqual(
        markers.map((line) => line.split(' ', 1)[0]),
        kind === 'ol' ? ['1.', '2.', '3.', '4.'] : ['*', '*', '*', '*'],
      );
      assert.ok(markdown.length > markers.length, 'an item goes on after a cut');
      // The part of an item after a cut is indented under it, as a paragraph of the same item.
      let marker = '';
      for (const line of markdown) {
        if (!line.startsWith(' ')) marker = line.split(' ', 1)[0];
        else
          assert.match(
            line,
            new RegExp(`^ {${marker.length + 1}}(\\*\\*${marker.length > 1 ? marker[0] : '\\d'}\\*\\* ?)+$`),
          );
      }
    }
  });

  it('a part of an item with no text between cuts neither takes a number or bullet nor ends the item', () => {
    for (const kind of ['ol', 'ul']) {
      const marker = (index: number) => (kind === 'ol' ? `${index + 1}.` : '*');
      // 6,000 empty tags before each item's text: the cut inside it falls where it has none yet.
      const textLast = longList(kind, (number) => `${'<i></i>'.repeat(3000)}${number}`, 6);
      assert.ok(wellFormedHtmlPieces(textLast)!.length > 2, 'the list is cut more than once');
      const items = Array.from({ length: 6 }, (_, index) => `${marker(index)} ${index + 1}`);
      assert.deepEqual(lines(htmlMarkdown(textLast)!), ['Steps:', ...items, 'Done.']);
      // 12,000 between an item's text and its tail: a whole piece of the item holds no text.
      const textAround = longList(kind, (number) => `item ${number}${'<i></i>'.repeat(6000)} tail ${number}`, 3);
      assert.ok(wellFormedHtmlPieces(textAround)!.length > 6, 'the items are cut more than once');
      const parts = [0, 1, 2].flatMap((index) => [
        `${marker(index)} item ${index + 1}`,
        `${' '.repeat(marker(index).length + 1)}tail ${index + 1}`,
      ]);
      assert.deepEqual(lines(htmlMarkdown(textAround)!), ['Steps:', ...parts, 'Done.']);
    }
  });

  it('a list inside an item, cut between pieces, keeps its indentation under that item', () => {
    for (const [kind, marker] of [
      ['ol', (index: number) => `${index + 1}.`],
      ['ul', () => '*'],
    ] as const) {
      const inner = longList(kind, (number) => `item <b>${number}</b>`).replace(/^<p>Steps:<\/p>|<p>Done.<\/p>$/g, '');
      const items = Array.from({ length: ITEMS }, (_, index) => `  ${marker(index)} item **${index + 1}**`);
      // The inner list right in the item, or in a block inside it (as a page's table of contents in a `div`).
      for (const list of [inner, `<div>${inner}</div>`]) {
        const page = `<${kind}><li>outer${list}</li><li>after</li></${kind}>`;
        assert.ok(wellFormedHtmlPieces(page)!.length > 2, 'the list is cut more than once');
        assert.deepEqual(lines(htmlMarkdown(page)!), [`${marker(0)} outer`, ...items, `${marker(1)} after`]);
      }
      // Two items open at each cut, one inside the other: each goes on with the list inside it.
      const deeper = `<${kind}><li>outer<${kind}><li>middle${inner}</li></${kind}></li></${kind}>`;
      assert.deepEqual(lines(htmlMarkdown(deeper)!), [
        `${marker(0)} outer`,
        `  ${marker(0)} middle`,
        ...items.map((item) => `  ${item}`),
      ]);
    }
  });

  it("an ordered list's start attribute sets its first number, as a browser reads it", () => {
    const cases: [string, string][] = [
      ['<ol start="7"><li>a</li><li>b</li></ol>', '7. a\n8. b'],
      ['<ol start="0"><li>a</li><li> </li><li>b</li></ol>', '0. a\n1. b'],
      ['<ol start=" +3rd"><li>a</li></ol>', '3. a'],
      [
        '<ol start="-2"><li>a</li></ol><ol start="1000000000"><li>b</li></ol><ol start="x"><li>c</li></ol>',
        '1. a\n1. b\n1. c',
      ],
      ['<ol start="4"><li>a<ol><li>x</li><li>y</li></ol></li><li>b</li></ol>', '4. a\n  1. x\n  2. y\n5. b'],
      ['<ul><li>a</li></ul><ol start="2"><li>b<ul><li>c</li></ul></li></ol>', '* a\n2. b\n  * c'],
    ];
    for (const [html, markdown] of cases) assert.equal(htmlMarkdown(html), markdown, html);
  });

  it("an item's value sets its number and the items after it count on, as in a browser", () => {
    const cases: [string, string][] = [
      ['<ol><li>a</li><li value="5">b</li><li>c</li></ol>', '1. a\n5. b\n6. c'],
      ['<ol start="3"><li>a</li><li value=" +1st">b</li><li>c</li><li value="0">d</li></ol>', '3. a\n1. b\n2. c\n0. d'],
      // A value Markdown cannot write (negative, ten digits) or none at all is passed over: the item counts on.
      ['<ol><li value="-4">a</li><li value="1000000000">b</li><li value="x">c</li></ol>', '1. a\n2. b\n3. c'],
      // A left-out item's number goes to the next, as with a start; a bulleted list has no numbers.
      ['<ol><li>a</li><li value="9"> </li><li>b</li></ol><ul><li value="2">c</li></ul>', '1. a\n9. b\n* c'],
      ['<ol><li value="7">a<ol><li value="3">x</li><li>y</li></ol></li><li>b</li></ol>', '7. a\n  3. x\n  4. y\n8. b'],
    ];
    for (const [html, markdown] of cases) assert.equal(htmlMarkdown(html), markdown, html);
    // Across a cut the items after a value count on from it.
    const page = longList('ol', (number) =>
      number === 500 ? 'item 500</li><li value="9000">item 501' : `item ${number}`,
    );
    assert.ok(wellFormedHtmlPieces(page)!.length > 2, 'the list is cut more than once');
    const numbers = lines(htmlMarkdown(page)!)
      .slice(1, -1)
      .map((line) => Number(line.split('.')[0]));
    assert.deepEqual(numbers, [
      ...Array.from({ length: 500 }, (_, index) => index + 1),
      ...Array.from({ length: ITEMS - 499 }, (_, index) => index + 9000),
    ]);
  });

  it("a page's own attributes cannot pass for the marks a cut leaves", () => {
    const forged = '<ol data-engram-list="0"><li>a</li><li>b</li></ol><ol data-engram-list="0">';
    assert.deepEqual(wellFormedHtmlPieces(`${forged}<li data-engram-continued>c</ol>`), [
      '<ol><li>a</li><li>b</li></ol><ol><li>c</li></ol>',
    ]);
  });

  it('a table with one huge cell over many rows gives Markdown in proportion to the page, still a table', () => {
    // node-html-markdown pads every cell to its column's widest: a 60 KB cell over 200 rows made 9.5 MB.
    const table = (rows: number, hugeChars: number) => {
      const huge = `<tr><td>name 0</td><td>${'word '.repeat(hugeChars / 5)}</td></tr>`;
      const small = Array.from({ length: rows }, (_, row) => `<tr><td>name ${row + 1}</td><td>v</td></tr>`);
      return `<table><tr><th>Name</th><th>Value</th></tr>${huge}${small.join('')}</table>`;
    };
    const page = table(200, 50_000);
    const markdown = htmlMarkdown(page)!;
    assert.equal(markdown.split('\n').length, 203, 'one table: a header, its separator and 201 rows');
    assert.ok(markdown.length < page.length, `${markdown.length} characters of Markdown from ${page.length}`);
    const [header, separator, first, second] = markdown.split('\n');
    // The names stay padded to their widest; the column of the huge cell is not padded.
    assert.equal(header, '| Name     | Value |');
    assert.equal(separator, '| -------- | --- |');
    assert.ok(first.startsWith('| name 0   | word word') && first.endsWith('word |'));
    assert.equal(second, '| name 1   | v |');
    // Cut into pieces, it still gives Markdown in proportion to the page (padding at most quadruples a column).
    const larger = table(1600, 400_000);
    assert.ok(htmlMarkdown(larger)!.length < 4 * larger.length);
    // A column no wider than a line, or whose padding adds no more than thrice its text, is padded as before.
    assert.equal(
      htmlMarkdown(
        `<table><tr><th>a</th><th>b</th></tr><tr><td>${'x'.repeat(80)}</td><td>${'y'.repeat(90)}</td></tr></table>`,
      ),
      `| a${' '.repeat(79)} | b${' '.repeat(89)} |\n| ${'-'.repeat(80)} | ${'-'.repeat(90)} |\n| ${'x'.repeat(80)} | ${'y'.repeat(90)} |`,
    );
  });
});
