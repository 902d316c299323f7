import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { markdownOutline } from './markdown-outline';

describe('headings and wiki links read from markdown tokens', () => {
  it('finds the first level-1 heading and the [[links]] outside code fences, indented code and inline code', () => {
    const outline = markdownOutline(
      [
        '```md',
        '# Not the title',
        'See [[In a fence]]',
        '```',
        '',
        '    [[Indented code]]',
        '',
        '## Second level first',
        '# The title',
        'Text with `[[inline code]]`, [[People/Ana]] and [[Budget|the budget]], [[People/Ana]] again.',
        '- a list item with [[Listed]]',
        '',
        '| col | other |',
        '| --- | --- |',
        '| [[In a table]] | x |',
        '',
        '> quoted [[Quoted]]',
        '',
        '\\[\\[escaped]] and [[not closed',
      ].join('\n'),
    );
    assert.equal(outline.heading, 'The title');
    assert.deepEqual(outline.links, ['People/Ana', 'Budget|the budget', 'Listed', 'In a table', 'Quoted']);
  });

  it('has no title when the only heading is inside code', () => {
    assert.equal(markdownOutline('~~~\n# fenced\n~~~\ntext').heading, undefined);
  });

  it('reads hostile notes in linear time', () => {
    const inputs = [
      '[['.repeat(200_000),
      `[[${'a'.repeat(400_000)}`,
      '[[a] '.repeat(100_000),
      '`'.repeat(200_000),
      '*a '.repeat(100_000),
      '<a '.repeat(100_000),
      '# '.repeat(100_000),
      '```\n'.repeat(50_000),
    ];
    for (const text of inputs) {
      const started = performance.now();
      markdownOutline(text);
      const elapsed = performance.now() - started;
      assert.ok(elapsed < 3000, `${JSON.stringify(text.slice(0, 8))}…: ${elapsed.toFixed(0)} ms`);
    }
  });
});
