import {
  BLOCK_ELEMENTS,
  CLOSED_BY_END,
  CLOSED_BY_START,
  DROPPED_RAW_TEXT,
  MAX_HTML_NESTING,
  SHAPING_ELEMENTS,
  TEXT_ONLY,
  VOID_ELEMENTS,
} from './html-element-rules';
import { readTag } from './html-tags';
import { CONTINUED_ITEM_ATTRIBUTE, CUT_LIST_ATTRIBUTE } from './piece-cut-marks';

/**
 * The converter's cost grows with the square of what it is given (each element re-reads the Markdown written
 * so far; the parser scans every earlier text sibling as it adds one), so a page reaches it in pieces of about
 * this many characters, cut beside a block element where nothing open shapes the Markdown (a cut there
 * changes nothing)…
 */
const PIECE_CHARS = 8 * 1024;
/**
 * …or, where no such place comes, at the next tag once a piece is this long or holds this many tags and texts
 * (inside a list, a table or a code block if need be: it then converts as several). Such a cut waits, for at
 * most as long again, for a place where it changes least: in a code block a line's end, in a list item the
 * end of an item of the innermost list.
 */
const FORCED_CUT_CHARS = 8 * PIECE_CHARS;
const FORCED_CUT_NODES = 4000;
/** A piece reopens the elements open at its cut; a start tag longer than this is reopened without attributes. */
const REOPENED_TAG_CHARS = 256;
/** Stands where a comment or a dropped script was: the text on either side stays two text nodes, as before. */
const GAP = '<!---->';

interface OpenElement {
  name: string;
  startTag: string;
  /** Where its start tag is among the parts of the piece being written: marked there if the piece is cut. */
  part: number;
  /** A list's name once a cut falls inside it, written on its start tag in every piece it spans. */
  cutListId?: number;
}

/**
 * The page rewritten as well-formed HTML, in pieces to convert one by one, or undefined when its elements
 * nest more than MAX_HTML_NESTING deep. The converter's parser (node-html-parser) takes time cubic in the
 * depth of unclosed or mis-nested tags and searches to the end of the page from each unclosed comment or
 * quote, so it is only ever given what it reads in one pass: comments and scripts removed (an unclosed
 * comment or tag runs to the end, as in a browser), every `<` that starts no tag written `&lt;`, attributes
 * requoted, and an explicit end tag for each element closed implicitly (a `<li>` by the next, as the parser
 * does), by an outer end tag (`</span>` closes an open `<em>` first) or by the end of the page; an end tag
 * with nothing to close is dropped. One scan with a stack of open elements: each character is read a bounded
 * number of times, and an end tag looks back over at most MAX_HTML_NESTING open elements.
 */
export function wellFormedHtmlPieces(html: string): string[] | undefined {
  return new HtmlRewrite(html).pieces();
}

class HtmlRewrite {
  private readonly open: OpenElement[] = [];
  private shapingOpen = 0;
  private preformattedOpen = 0;
  private itemsOpen = 0;
  private atLineStart = true;
  private readonly finished: string[] = [];
  private parts: string[] = [];
  private pieceChars = 0;
  private pieceNodes = 0;
  private tooDeep = false;
  private listsCut = 0;

  constructor(private readonly html: string) {}

  pieces(): string[] | undefined {
    const { html } = this;
    let at = 0;
    while (at < html.length && !this.tooDeep) {
      const markupAt = html.indexOf('<', at);
      if (markupAt === -1) {
        this.writeText(html.slice(at));
        break;
      }
      this.writeText(html.slice(at, markupAt));
      at = this.markup(markupAt);
    }
    if (this.tooDeep) return undefined;
    this.closeDownTo(0);
    this.finished.push(this.parts.join(''));
    return this.finished;
  }

  /** Rewrites the markup whose `<` is at `at`; returns where the text after it starts. */
  private markup(at: number): number {
    const { html } = this;
    if (html.startsWith('<!--', at)) {
      const close = html.indexOf('-->', at + 4);
      if (close === -1) return html.length;
      this.writeGap();
      return close + 3;
    }
    const tag = readTag(html, at);
    if (tag === 'unended') return html.length;
    if (tag === 'text') {
      this.write('&lt;');
      return at + 1;
    }
    if (tag.closing) {
      this.end(tag.name);
      return tag.end;
    }
    if (DROPPED_RAW_TEXT.has(tag.name)) {
      this.writeGap();
      return this.rawText(tag.name, tag.end).end;
    }
    this.start(tag.name, `<${tag.name}${tag.attributes}>`, tag.selfClosing);
    if (!TEXT_ONLY.has(tag.name) || tag.selfClosing) return tag.end;
    const { contentEnd, end } = this.rawText(tag.name, tag.end);
    this.write(html.slice(tag.end, contentEnd).replace(/</g, '&lt;'));
    this.end(tag.name);
    return end;
  }

  private start(name: string, startTag: string, selfClosing: boolean): void {
    if (VOID_ELEMENTS.has(name)) {
      this.write(startTag);
      this.cutIfDue(BLOCK_ELEMENTS.has(name));
      return;
    }
    const parent = this.open.at(-1)?.name;
    if (!selfClosing && parent !== undefined && CLOSED_BY_START[parent]?.has(name)) {
      this.closeDownTo(this.open.length - 1);
    }
    // Like the parser, a link never holds another: the open one ends where the next begins.
    const openLink = name === 'a' ? this.lastOpen('a') : -1;
    if (openLink !== -1) this.closeDownTo(openLink);
    this.cutIfDue(BLOCK_ELEMENTS.has(name));
    if (selfClosing) {
      this.write(`${startTag}</${name}>`);
      return;
    }
    this.open.push({ name, startTag, part: this.parts.length });
    if (SHAPING_ELEMENTS.has(name)) this.shapingOpen += 1;
    if (name === 'pre') this.preformattedOpen += 1;
    if (name === 'li') this.itemsOpen += 1;
    if (this.open.length > MAX_HTML_NESTING) this.tooDeep = true;
    this.write(startTag);
  }

  private end(name: string): void {
    for (let top = this.open.at(-1)?.name; top !== undefined && top !== name; top = this.open.at(-1)?.name) {
      if (!CLOSED_BY_END[top]?.has(name)) break;
      this.closeDownTo(this.open.length - 1);
    }
    const opened = this.lastOpen(name);
    if (opened === -1) return;
    this.closeDownTo(opened);
    this.cutIfDue(BLOCK_ELEMENTS.has(name));
  }

  /** Where a raw-text element's content ends and its end tag (`</name`, any case) ends; the page's end if none. */
  private rawText(name: string, from: number): { contentEnd: number; end: number } {
    const { html } = this;
    for (let at = html.indexOf('</', from); at !== -1; at = html.indexOf('</', at + 2)) {
      const after = html[at + 2 + name.length];
      const namesIt = html.slice(at + 2, at + 2 + name.length).toLowerCase() === name;
      if (namesIt && (after === undefined || after === '>' || after === '/' || /\s/.test(after))) {
        const close = html.indexOf('>', at);
        return { contentEnd: at, end: close === -1 ? html.length : close + 1 };
      }
    }
    return { contentEnd: html.length, end: html.length };
  }

  private lastOpen(name: string): number {
    for (let index = this.open.length - 1; index >= 0; index -= 1) if (this.open[index].name === name) return index;
    return -1;
  }

  private closeDownTo(depth: number): void {
    while (this.open.length > depth) {
      const { name } = this.open.pop()!;
      if (SHAPING_ELEMENTS.has(name)) this.shapingOpen -= 1;
      if (name === 'pre') this.preformattedOpen -= 1;
      if (name === 'li') this.itemsOpen -= 1;
      this.write(`</${name}>`);
    }
  }

  /** Ends the piece here, when it is long enough and this is a place to cut: closes what is open, reopens it. */
  private cutIfDue(besideBlock: boolean): void {
    const past = (times: number) =>
      this.pieceChars >= times * FORCED_CUT_CHARS || this.pieceNodes >= times * FORCED_CUT_NODES;
    const forced = past(1) && (this.atSeam() || past(2));
    if (!forced && !(besideBlock && this.shapingOpen === 0 && this.pieceChars >= PIECE_CHARS)) return;
    const reopen = this.open.map((element) => this.reopenedTag(element));
    for (let index = this.open.length - 1; index >= 0; index -= 1) this.parts.push(`</${this.open[index].name}>`);
    this.finished.push(this.parts.join(''));
    this.parts = reopen;
    this.open.forEach((element, depth) => (element.part = depth));
    this.pieceChars = 0;
    this.pieceNodes = 0;
  }

  /** Whether a forced cut here changes least: in preformatted text at a line's end, in a list between items. */
  private atSeam(): boolean {
    if (this.preformattedOpen > 0) return this.atLineStart;
    if (this.itemsOpen === 0) return true;
    const innermost = this.open.at(-1)?.name;
    return innermost === 'ul' || innermost === 'ol';
  }

  /**
   * The start tag that reopens an element in the next piece. The converter numbers an ordered list's items
   * from 1 in each piece and starts each item with a marker, so a list cut here is named on both sides (its
   * start tag in this piece marked now) and an item open here is marked as going on, for the converter to
   * count on and to write the item's rest under it (list-numbering.ts).
   */
  private reopenedTag(element: OpenElement): string {
    const { name, startTag } = element;
    if (name === 'li') return `<li ${CONTINUED_ITEM_ATTRIBUTE}>`;
    const reopened = startTag.length <= REOPENED_TAG_CHARS ? startTag : `<${name}>`;
    if (name !== 'ol' && name !== 'ul') return reopened;
    const named = (tag: string) => `${tag.slice(0, -1)} ${CUT_LIST_ATTRIBUTE}="${element.cutListId}">`;
    if (element.cutListId === undefined) {
      element.cutListId = this.listsCut++;
      this.parts[element.part] = named(this.parts[element.part]);
    }
    return named(reopened);
  }

  private writeText(text: string): void {
    if (text === '') return;
    this.write(text);
    this.atLineStart = text.endsWith('\n');
  }

  private writeGap(): void {
    this.write(GAP);
    this.cutIfDue(false);
  }

  private write(text: string): void {
    if (text === '') return;
    this.parts.push(text);
    this.pieceChars += text.length;
    this.pieceNodes += 1;
  }
}
