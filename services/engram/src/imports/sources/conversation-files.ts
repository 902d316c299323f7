import { z } from 'zod';
import { ImportRejected } from '../imports.errors';
import { ImportEntry } from '../imports.types';
import { ImportInput } from '../input/import-input';
import { elementName, isUnreadable, readJsonArray } from '../input/json-array.stream';
import { fieldProblem } from './field-problem';
import { itemTitle } from './source-values';

/** `conversations.json`, and the numbered parts large exports are split into. */
export const CONVERSATIONS_FILE = /(^|\/)conversations(-\d+)?\.json$/i;

/**
 * Streams the conversations of a chat export (a ZIP, or its conversations.json alone): each element
 * is checked against `shape` and turned into a document by `toEntry`; an element that cannot be read or
 * is of the wrong shape becomes a failure naming the file, the conversation's number, its title (the
 * first of `titleKeys` it has) and its line.
 */
export async function* readConversationFiles<T>(
  input: ImportInput,
  shape: z.ZodType<T>,
  titleKeys: readonly string[],
  toEntry: (conversation: T, file: string, index: number) => ImportEntry,
): AsyncGenerator<ImportEntry> {
  const wanted = (path: string) => input.kind === 'file' || CONVERSATIONS_FILE.test(path);
  let files = 0;
  for await (const entry of input.entries(wanted)) {
    files++;
    const file = input.kind === 'file' ? input.name : entry.path;
    for await (const element of readJsonArray(await entry.open(), file)) {
      if (isUnreadable(element)) {
        yield { failure: { item: elementName(file, 'conversation', element), reason: element.reason } };
        continue;
      }
      const parsed = shape.safeParse(element.value);
      if (!parsed.success) {
        const item = elementName(file, 'conversation', element, itemTitle(element.value, titleKeys));
        const reason = `not a conversation of this export: ${fieldProblem(parsed.error, element.value)}`;
        yield { failure: { item, reason } };
        continue;
      }
      yield toEntry(parsed.data, file, element.index);
    }
  }
  if (files === 0) throw new ImportRejected(`${input.name} holds no conversations.json`);
}
