import { z } from 'zod';
import { ConversationTurn, DetectProbe, Importer, ImportEntry, ImportSource } from '../imports.types';
import { ImportInput } from '../input/import-input';
import { ANY_KEY, ELEMENT, JsonHead } from '../input/json-head';
import { CONVERSATIONS_FILE, readConversationFiles } from './conversation-files';
import { epochMs, textOf } from './source-values';

const Message = z.looseObject({
  id: z.string().optional(),
  author: z.looseObject({ role: z.string() }),
  create_time: z.number().nullish(),
  content: z.looseObject({
    content_type: z.string(),
    parts: z.array(z.unknown()).optional(),
    text: z.unknown().optional(),
  }),
  metadata: z.looseObject({ is_visually_hidden_from_conversation: z.boolean().optional() }).nullish(),
});

const Node = z.looseObject({
  message: Message.nullish(),
  parent: z.string().nullish(),
  children: z.array(z.string()).optional(),
});

const Conversation = z.looseObject({
  title: z.string().nullish(),
  create_time: z.number().nullish(),
  update_time: z.number().nullish(),
  mapping: z.record(z.string(), Node),
  current_node: z.string().nullish(),
  conversation_id: z.string().nullish(),
  id: z.string().nullish(),
  default_model_slug: z.string().nullish(),
});
type Conversation = z.infer<typeof Conversation>;

const SPOKEN_ROLES = new Set(['user', 'assistant']);
/** What names a conversation in a failure: its title as ChatGPT shows it, else its id. */
const TITLE_KEYS = ['title', 'conversation_id', 'id'];

/** ChatGPT's data export (Settings → Data controls → Export): the ZIP, or its conversations.json. */
export class ChatGptImporter implements Importer {
  readonly source = ImportSource.ChatGpt;
  readonly label = 'ChatGPT data export';
  readonly memoryDirFolder = 'chatgpt_history';

  detect({ kind, paths, head }: DetectProbe): boolean {
    if (kind === 'zip' || kind === 'folder') {
      return (
        paths.some((path) => CONVERSATIONS_FILE.test(path)) &&
        paths.some((path) => /(^|\/)(chat\.html|message_feedback\.json|user\.json)$/.test(path))
      );
    }
    // A conversation's own keys: its `current_node` comes after the whole mapping, often past the head,
    // whose message nodes show instead. Quoted in a message, the keys are deeper or inside a string.
    const json = JsonHead.of(head);
    return (
      json.has([ELEMENT], 'mapping') &&
      (json.has([ELEMENT], 'current_node') || json.has([ELEMENT, 'mapping', ANY_KEY], 'children'))
    );
  }

  read(input: ImportInput): AsyncIterable<ImportEntry> {
    return readConversationFiles(input, Conversation, TITLE_KEYS, (conversation, file, index) => ({
      source: this.source,
      originalId: conversation.conversation_id ?? conversation.id ?? `${file}#${index + 1}`,
      title: textOf(conversation.title) ?? 'Untitled conversation',
      createdAt: epochMs(conversation.create_time),
      updatedAt: epochMs(conversation.update_time),
      tags: ['chatgpt'],
      memoryType: 'conversation',
      metadata: conversation.default_model_slug ? { model: conversation.default_model_slug } : {},
      file,
      body: { kind: 'conversation', turns: visibleThread(conversation) },
    }));
  }
}

/**
 * The branch the user last saw: from `current_node` up through the parents (edits and regenerations
 * leave other branches in `mapping`), then in reading order. Without `current_node`, the latest leaf.
 */
function visibleThread(conversation: Conversation): ConversationTurn[] {
  const { mapping } = conversation;
  const start = conversation.current_node ?? latestLeaf(conversation);
  const path: string[] = [];
  const seen = new Set<string>();
  for (let id = start; id && mapping[id] && !seen.has(id); id = mapping[id].parent ?? undefined) {
    seen.add(id);
    path.push(id);
  }
  const turns: ConversationTurn[] = [];
  for (const id of path.reverse()) {
    const message = mapping[id].message;
    if (!message || !SPOKEN_ROLES.has(message.author.role)) continue;
    if (message.metadata?.is_visually_hidden_from_conversation) continue;
    const text = messageText(message.content);
    if (text)
      turns.push({ role: message.author.role, text, createdAt: epochMs(message.create_time), id: message.id ?? id });
  }
  return turns;
}

function latestLeaf({ mapping }: Conversation): string | undefined {
  let best: { id: string; time: number } | undefined;
  for (const [id, node] of Object.entries(mapping)) {
    if ((node.children?.length ?? 0) > 0) continue;
    const time = node.message?.create_time ?? 0;
    if (!best || time >= best.time) best = { id, time };
  }
  return best?.id;
}

/** Text parts only: images, audio and tool payloads are not memories. */
function messageText(content: z.infer<typeof Message>['content']): string | undefined {
  if (content.content_type === 'text' || content.content_type === 'multimodal_text') {
    return textOf((content.parts ?? []).filter((part): part is string => typeof part === 'string').join('\n'));
  }
  if (content.content_type === 'code') return textOf(content.text);
  return undefined;
}
