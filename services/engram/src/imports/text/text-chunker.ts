import { ChunkSettings } from '../imports.types';

export interface TextChunk {
  text: string;
  /** Offsets of the chunk's own text (overlap excluded) in the source text. */
  start: number;
  end: number;
}

interface Unit {
  text: string;
  start: number;
  /** The unit begins a paragraph: joined with a blank line rather than a space. */
  paragraph: boolean;
}

const SENTENCE_END = /(?<=[.!?…。！？])\s+(?=\S)/u;

/**
 * Cuts text into chunks of at most `chunkChars` characters at paragraph boundaries, else at sentence
 * boundaries, else at spaces (a hard cut only for a word longer than a chunk). Each chunk after the
 * first starts with the last sentences of the one before, up to `overlapChars`, so a fact split
 * across a boundary is still found whole in one of them.
 */
export function chunkText(text: string, { chunkChars, overlapChars }: ChunkSettings): TextChunk[] {
  const units = splitUnits(text, chunkChars);
  const chunks: TextChunk[] = [];
  let previous: Unit[] = [];
  for (let next = 0; next < units.length;) {
    let parts = overlapTail(previous, overlapChars);
    const own: Unit[] = [];
    while (next < units.length) {
      const unit = units[next];
      if (own.length > 0 && lengthOf([...parts, ...own, unit]) > chunkChars) break;
      if (own.length === 0 && lengthOf([...parts, unit]) > chunkChars) parts = [];
      own.push(unit);
      next++;
    }
    const last = own[own.length - 1];
    chunks.push({ text: join([...parts, ...own]), start: own[0].start, end: last.start + last.text.length });
    previous = own;
  }
  return chunks;
}

function lengthOf(units: readonly Unit[]): number {
  return units.reduce((sum, unit, i) => sum + unit.text.length + (i === 0 ? 0 : unit.paragraph ? 2 : 1), 0);
}

function join(units: readonly Unit[]): string {
  return units.map((unit, i) => (i === 0 ? unit.text : `${unit.paragraph ? '\n\n' : ' '}${unit.text}`)).join('');
}

/** The trailing units that fit in the overlap, whole sentences only. */
function overlapTail(units: readonly Unit[], overlapChars: number): Unit[] {
  const tail: Unit[] = [];
  let length = 0;
  for (let i = units.length - 1; i >= 0; i--) {
    length += units[i].text.length + (tail.length > 0 ? 1 : 0);
    if (length > overlapChars) break;
    tail.unshift(units[i]);
  }
  return tail;
}

/** Paragraphs, split into sentences (and long sentences into word runs) until each fits a chunk. */
function splitUnits(text: string, chunkChars: number): Unit[] {
  const units: Unit[] = [];
  const paragraphs = /[^\n]+(?:\n(?!\s*\n)[^\n]*)*/g;
  for (const match of text.matchAll(paragraphs)) {
    const paragraph = match[0].trim();
    if (paragraph === '') continue;
    const start = match.index + match[0].indexOf(paragraph);
    if (paragraph.length <= chunkChars) {
      units.push({ text: paragraph, start, paragraph: true });
      continue;
    }
    let offset = 0;
    let first = true;
    for (const sentence of paragraph.split(SENTENCE_END)) {
      const at = paragraph.indexOf(sentence, offset);
      offset = at + sentence.length;
      for (const piece of sentence.length <= chunkChars
        ? [{ text: sentence, at: 0 }]
        : wordRuns(sentence, chunkChars)) {
        units.push({ text: piece.text, start: start + at + piece.at, paragraph: first });
        first = false;
      }
    }
  }
  return units;
}

function wordRuns(sentence: string, chunkChars: number): { text: string; at: number }[] {
  const runs: { text: string; at: number }[] = [];
  let at = 0;
  while (at < sentence.length) {
    let end = Math.min(sentence.length, at + chunkChars);
    if (end < sentence.length) {
      const space = sentence.lastIndexOf(' ', end);
      if (space > at) end = space;
    }
    const text = sentence.slice(at, end).trim();
    if (text !== '') runs.push({ text, at });
    at = end;
    while (sentence[at] === ' ') at++;
  }
  return runs;
}
