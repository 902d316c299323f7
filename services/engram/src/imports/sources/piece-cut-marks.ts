/*
 * Marks the HTML rewrite (well-formed-html.ts) puts on the elements open where it cuts a page into pieces, so
 * that the converter (list-numbering.ts) counts a list cut in two as one list, and an item cut in two as one. A page's own
 * attributes with this prefix are dropped as its tags are read (html-tags.ts): none can be forged.
 */
export const RESERVED_ATTRIBUTE_PREFIX = 'data-engram-';
/** On a list open at a cut, before and after it: the same value names the same list. */
export const CUT_LIST_ATTRIBUTE = `${RESERVED_ATTRIBUTE_PREFIX}list`;
/** On a list item reopened after a cut: it goes on with the item open before the cut. */
export const CONTINUED_ITEM_ATTRIBUTE = `${RESERVED_ATTRIBUTE_PREFIX}continued`;
