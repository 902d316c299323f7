import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assertLinearCost } from '../../testing/linear-cost';
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
    const hostile: [string, (n: number) => string][] = [
      ['[[', (n) => '[['.repeat(n)],
      ['unclosed link', (n) => `[[${'a'.repeat(2 * n)}`],
      ['[[a] ', (n) => '[[a] '.repeat(n / 2)],
      ['backticks', (n) => '`'.repeat(2 * n)],
      ['emphasis', (n) => '*a '.repeat(n)],
      ['tags', (n) => '<a '.repeat(n)],
      ['hashes', (n) => '# '.repeat(n)],
      ['fences', (n) => '```\n'.repeat(n / 2)],
    ];
    for (const [label, build] of hostile) assertLinearCost(label, (scale) => build(6_000 * scale), markdownOutline);
  });
});
