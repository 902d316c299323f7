import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { splitFrontMatter } from './front-matter';
import { slugify } from './slug';
import { chunkText } from './text-chunker';

const sentence = (i: number) => `Sentence number ${i} talks about topic ${i}.`;

describe('chunking documents', () => {
  it('keeps short text whole', () => {
    assert.deepEqual(
      chunkText('One paragraph.\n\nAnother.', { chunkChars: 100, overlapChars: 10 }).map((chunk) => chunk.text),
      ['One paragraph.\n\nAnother.'],
    );
  });

  it('cuts at paragraph and sentence boundaries, never above the size, with overlapping sentences', () => {
    const text = [Array.from({ length: 30 }, (_, i) => sentence(i)).join(' '), 'A short closing paragraph.'].join(
      '\n\n',
    );
    const chunks = chunkText(text, { chunkChars: 200, overlapChars: 60 });
    assert.ok(chunks.length > 4);
    for (const chunk of chunks) {
      assert.ok(chunk.text.length <= 200, `${chunk.text.length} chars`);
      assert.match(chunk.text, /^Sentence|^A short/, 'starts at a sentence');
      assert.match(chunk.text, /\.$/, 'ends at a sentence');
    }
    for (let i = 1; i < chunks.length; i++) {
      const lastOfPrevious = chunks[i - 1].text.split(/(?<=\.) /).pop()!;
      assert.ok(chunks[i].text.startsWith(lastOfPrevious), `chunk ${i} repeats the end of chunk ${i - 1}`);
    }
    assert.ok(chunks.at(-1)!.text.endsWith('A short closing paragraph.'));
    for (let i = 0; i < 30; i++)
      assert.ok(
        chunks.some((chunk) => chunk.text.includes(sentence(i))),
        `sentence ${i} kept`,
      );
  });

  it('hard-cuts only a sentence longer than a chunk, at spaces', () => {
    const long = Array.from({ length: 100 }, (_, i) => `word${i}`).join(' ');
    const chunks = chunkText(long, { chunkChars: 120, overlapChars: 0 });
    assert.ok(chunks.every((chunk) => chunk.text.length <= 120));
    assert.equal(chunks.map((chunk) => chunk.text).join(' '), long);
  });
});

describe('front matter and names', () => {
  it('reads tags as an inline list, a block list or a comma string, and leaves the body', () => {
    const inline = splitFrontMatter('---\ntitle: "Trip"\ntags: [travel, "family"]\n---\n# Trip\nBody [[Other note]]');
    assert.deepEqual({ ...inline.data }, { title: 'Trip', tags: ['travel', 'family'] });
    assert.equal(inline.body, '# Trip\nBody [[Other note]]');
    const block = splitFrontMatter('---\ntags:\n  - a\n  - b\naliases: x, y\n---\nText');
    assert.deepEqual({ ...block.data }, { tags: ['a', 'b'], aliases: 'x, y' });
    assert.deepEqual({ ...splitFrontMatter('---\nnot closed\nText').data }, {});
  });

  it('makes snake_case ASCII file names', () => {
    assert.equal(slugify('Café crème: Plans & Ideas!'), 'cafe_creme_plans_ideas');
    assert.equal(slugify('///'), 'untitled');
  });
});
