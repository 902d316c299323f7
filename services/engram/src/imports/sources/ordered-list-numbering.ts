import { NodeMetadata, TranslatorConfigFactory } from 'node-html-markdown';
import { CONTINUED_ITEM_ATTRIBUTE, CUT_LIST_ATTRIBUTE } from './piece-cut-marks';

type TranslatorContext = Parameters<TranslatorConfigFactory>[0];

/** An ordered list's numbering, on the metadata node-html-markdown shares between a list and its items. */
interface OrderedListMetadata extends NodeMetadata {
  /** Its number for a count of 0: one before its `start` (or 1), moved by an item's `value`. */
  numberBeforeFirst?: number;
  /** Whether its last item so far was written: an item with no text is left out and takes no number. */
  lastItemWritten?: boolean;
}

/** The largest number CommonMark reads as an ordered list's item number (nine digits). */
const LARGEST_ITEM_NUMBER = 999_999_999;

/**
 * Ordered lists' numbers for one page converted in pieces (well-formed-html.ts): node-html-markdown counts a
 * list's items from 1 and reads no `start` or `value`, in each piece afresh. A list cut between pieces carries the same
 * name on both sides (piece-cut-marks.ts), and the pieces are converted in order, so the list reopened after a
 * cut goes on from the count its part before the cut ended with.
 */
export class OrderedListNumbering {
  private readonly cutLists = new Map<string, OrderedListMetadata>();

  /** The `ol` rule: the stock one (a line around the list) that also sets where its numbering starts. */
  readonly orderedList: TranslatorConfigFactory = ({ node, nodeMetadata, listKind }) => {
    const list: OrderedListMetadata | undefined = nodeMetadata.get(node);
    if (list) this.startNumbering(list, node.getAttribute(CUT_LIST_ATTRIBUTE) ?? undefined, node.getAttribute('start'));
    return { surroundingNewlines: listKind ? 1 : 2 };
  };

  private startNumbering(list: OrderedListMetadata, cutName: string | undefined, start: string | null | undefined) {
    const before = cutName === undefined ? undefined : this.cutLists.get(cutName);
    if (before) {
      list.listItemNumber = before.listItemNumber;
      list.numberBeforeFirst = before.numberBeforeFirst;
      list.lastItemWritten = before.lastItemWritten;
    } else {
      list.numberBeforeFirst = (itemNumber(start) ?? 1) - 1;
    }
    if (cutName !== undefined) this.cutLists.set(cutName, list);
  }
}

/** How a list item begins (its marker), and what it notes once its text is known to be written or left out. */
export interface ListItemStart {
  marker: string;
  ended(written: boolean): void;
}

/**
 * A list item's marker: a bullet, or its number in an ordered list, counted from the list's first number or
 * from the `value` of an item before it (HTML's rule: an item's `value` sets its number, the items after it
 * count on). An item reopened after a cut goes on with the item written before it: it takes no number, and its
 * marker is as many spaces, so that its text reads as more of that item. node-html-markdown has already counted the item
 * (and takes the count back if it is left out), so a going-on item gives its count back.
 */
export function listItemStart({
  node,
  nodeMetadata,
  listKind,
  listItemNumber,
  options,
}: TranslatorContext): ListItemStart {
  const list: OrderedListMetadata | undefined = nodeMetadata.get(node);
  if (listKind !== 'OL' || listItemNumber === undefined || !list) {
    return { marker: `${options.bulletMarker} `, ended: () => undefined };
  }
  if (node.hasAttribute(CONTINUED_ITEM_ATTRIBUTE) && list.lastItemWritten) {
    list.listItemNumber = listItemNumber - 1;
    return {
      marker: ' '.repeat(`${(list.numberBeforeFirst ?? 0) + listItemNumber - 1}. `.length),
      // Left out, it is counted again: the converter then takes back the count it gave it.
      ended: (written) => {
        if (!written) list.listItemNumber = listItemNumber;
      },
    };
  }
  const value = itemNumber(node.getAttribute('value'));
  if (value !== undefined) list.numberBeforeFirst = value - listItemNumber;
  return {
    marker: `${(list.numberBeforeFirst ?? 0) + listItemNumber}. `,
    ended: (written) => (list.lastItemWritten = written),
  };
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
