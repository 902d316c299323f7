import { z } from 'zod';
import { ConversationTurn, DetectProbe, Importer, ImportEntry, ImportSource } from '../imports.types';
import { ImportInput } from '../input/import-input';
import { ELEMENT, JsonHead } from '../input/json-head';
import { CONVERSATIONS_FILE, readConversationFiles } from './conversation-files';
import { epochMs, textOf } from './source-values';

const Message = z.looseObject({
  uuid: z.string().optional(),
  sender: z.string(),
  text: z.string().nullish(),
  content: z.array(z.looseObject({ type: z.string(), text: z.unknown().optional() })).nullish(),
  created_at: z.string().nullish(),
});

const Conversation = z.looseObject({
  uuid: z.string(),
  name: z.string().nullish(),
  created_at: z.string().nullish(),
  updated_at: z.string().nullish(),
  chat_messages: z.array(Message),
});

/** What names a conversation in a failure: its name as Claude shows it, else its id. */
const TITLE_KEYS = ['name', 'uuid'];

/** Claude's data export (Settings → Privacy → Export data): the ZIP, or its conversations.json. */
export class ClaudeImporter implements Importer {
  readonly source = ImportSource.Claude;
  readonly label = 'Claude data export';
  readonly memoryDirFolder = 'claude_history';

  detect({ kind, paths, head }: DetectProbe): boolean {
    if (kind === 'zip' || kind === 'folder') {
      return (
        paths.some((path) => CONVERSATIONS_FILE.test(path)) &&
        paths.some((path) => /(^|\/)(users|projects)\.json$/.test(path))
      );
    }
    // A conversation's own key, not the name quoted in a message (deeper, or inside a string).
    return JsonHead.of(head).has([ELEMENT], 'chat_messages');
  }

  read(input: ImportInput): AsyncIterable<ImportEntry> {
    return readConversationFiles(input, Conversation, TITLE_KEYS, (conversation, file) => ({
      source: this.source,
      originalId: conversation.uuid,
      title: textOf(conversation.name) ?? 'Untitled conversation',
      createdAt: epochMs(conversation.created_at),
      updatedAt: epochMs(conversation.updated_at),
      tags: ['claude'],
      memoryType: 'conversation',
      metadata: {},
      file,
      body: { kind: 'conversation', turns: conversation.chat_messages.flatMap(toTurn) },
    }));
  }
}

function toTurn(message: z.infer<typeof Message>): ConversationTurn[] {
  const parts = (message.content ?? []).filter((part) => part.type === 'text').map((part) => textOf(part.text));
  const text = textOf(message.text) ?? textOf(parts.filter(Boolean).join('\n'));
  if (!text) return [];
  const role = message.sender === 'human' ? 'user' : message.sender;
  return [{ role, text, createdAt: epochMs(message.created_at), id: message.uuid }];
}
