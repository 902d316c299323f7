import { NodeMetadata, TranslatorConfigFactory } from 'node-html-markdown';
import { CONTINUED_ITEM_ATTRIBUTE, CUT_LIST_ATTRIBUTE } from './piece-cut-marks';

type TranslatorContext = Parameters<TranslatorConfigFactory>[0];

/** A list's state, on the metadata node-html-markdown shares between a list and its items. */
interface ListMetadata extends NodeMetadata {
  /** An ordered list's number for its count of 0: one before its `start` (or 1), moved by an item's `value`. */
  numberBeforeFirst?: number;
  /** Whether its last item so far was written: an item with no text is left out and takes no number. */
  lastItemWritten?: boolean;
  /** Its last item the converter visited: it never visits one holding no text at all (nor calls it left out). */
  lastItemVisited?: ListNode;
}

type ListNode = TranslatorContext['node'];

/** The largest number CommonMark reads as an ordered list's item number (nine digits). */
const LARGEST_ITEM_NUMBER = 999_999_999;

/**
 * Lists' numbers and items for one page converted in pieces (well-formed-html.ts): node-html-markdown counts
 * a list's items from 1 and reads no `start` or `value`, in each piece afresh. A list cut between pieces
 * carries the same name on both sides (piece-cut-marks.ts), and the pieces are converted in order, so the list
 * reopened after a cut goes on from the count, and the item, its part before the cut ended with.
 */
export class ListNumbering {
  private readonly cutLists = new Map<string, { list: ListMetadata; node: ListNode }>();

  /** The `ol` and `ul` rule: the stock one (a line around the list) that also carries a cut list's state. */
  readonly list: TranslatorConfigFactory = ({ node, nodeMetadata, listKind }) => {
    const list: ListMetadata | undefined = nodeMetadata.get(node);
    if (list) this.startNumbering(list, node, node.getAttribute(CUT_LIST_ATTRIBUTE) ?? undefined);
    return { surroundingNewlines: listKind ? 1 : 2 };
  };

  private startNumbering(list: ListMetadata, node: ListNode, cutName: string | undefined) {
    const before = cutName === undefined ? undefined : this.cutLists.get(cutName);
    if (before) {
      list.listItemNumber = before.list.listItemNumber;
      list.numberBeforeFirst = before.list.numberBeforeFirst;
      list.lastItemWritten = before.list.lastItemWritten && !endsWithItemUnvisited(before.node, before.list);
    } else {
      list.numberBeforeFirst = (itemNumber(node.getAttribute('start')) ?? 1) - 1;
    }
    if (cutName !== undefined) this.cutLists.set(cutName, { list, node });
  }
}

/**
 * Whether the list's part before a cut ends with an item begun there that held no text: the converter never
 * visited it, so the item written before it is not the one the cut goes on with.
 */
function endsWithItemUnvisited(node: ListNode, list: ListMetadata): boolean {
  const last = node.lastChild;
  if (!last || !('tagName' in last) || last.tagName !== 'LI' || last === list.lastItemVisited) return false;
  return !last.hasAttribute(CONTINUED_ITEM_ATTRIBUTE);
}

/** How a list item begins (its marker), and what it notes once its text is known to be written or left out. */
export interface ListItemStart {
  marker: string;
  /** The rest of an item cut in two: its marker is spaces, so that its text reads as more of that item. */
  goesOn: boolean;
  ended(written: boolean): void;
}

/**
 * A list item's marker: a bullet, or its number in an ordered list, counted from the list's first number or
 * from the `value` of an item before it (HTML's rule: an item's `value` sets its number, the items after it
 * count on). An item reopened after a cut goes on with the item written before it: it takes no number, and
 * its marker is as many spaces as that item's. node-html-markdown has already counted the item (and takes the
 * count back if it is left out), so a going-on item gives its count back.
 */
export function listItemStart({
  node,
  nodeMetadata,
  listKind,
  listItemNumber,
  options,
}: TranslatorContext): ListItemStart {
  const list: ListMetadata | undefined = nodeMetadata.get(node);
  const bullet = `${options.bulletMarker} `;
  if (!list || listKind === undefined) return { marker: bullet, goesOn: false, ended: () => undefined };
  list.lastItemVisited = node;
  const count = listKind === 'OL' ? listItemNumber : undefined;
  if (node.hasAttribute(CONTINUED_ITEM_ATTRIBUTE) && list.lastItemWritten) {
    if (count === undefined) return { marker: ' '.repeat(bullet.length), goesOn: true, ended: () => undefined };
    list.listItemNumber = count - 1;
    return {
      marker: ' '.repeat(`${(list.numberBeforeFirst ?? 0) + count - 1}. `.length),
      goesOn: true,
      // Left out, it is counted again: the converter then takes back the count it gave it.
      ended: (written) => {
        if (!written) list.listItemNumber = count;
      },
    };
  }
  const ended = (written: boolean) => (list.lastItemWritten = written);
  if (count === undefined) return { marker: bullet, goesOn: false, ended };
  const value = itemNumber(node.getAttribute('value'));
  if (value !== undefined) list.numberBeforeFirst = value - count;
  return { marker: `${(list.numberBeforeFirst ?? 0) + count}. `, goesOn: false, ended };
}

/**
 * A `start` or `value` attribute's number as a browser reads it (spaces, a `+`, then digits), when Markdown
 * can write it as an item's number; otherwise undefined (a browser also counts from a negative number, which
 * Markdown cannot).
 */
function itemNumber(attribute: string | null | undefined): number | undefined {
  const digits = /^[\t\n\f\r ]*\+?(\d+)/.exec(attribute ?? '');
  const number = digits ? Number(digits[1]) : NaN;
  return number <= LARGEST_ITEM_NUMBER ? number : undefined;
}
