import { z } from 'zod';
import { ContentHashParam } from '../../memories/memory.dto';
import { Supersession } from '../../memories/memory.service';
import { toHistoryView, toMemoryView } from '../../memories/memory.view';
import { defineTool, McpTool } from '../mcp-tool';
import { liftTagsAndType, StoreInputFields } from './memory.tools';
import { ToolDeps } from './tool-deps';
import { MemoryOutput } from './tool-schemas';

const HashInput = ContentHashParam.describe('The memory id: its content_hash (64 hexadecimal characters)');

export const SupersedeOutput = z.object({
  success: z.boolean(),
  content_hash: z.string().describe('The new, current memory'),
  memory: MemoryOutput,
  superseded: MemoryOutput.describe('The memory it replaced, now marked superseded_by'),
});

export function supersedeAnswer({ previous, current }: Supersession) {
  return {
    structured: {
      success: true,
      content_hash: current.contentHash,
      memory: toMemoryView(current),
      superseded: toMemoryView(previous),
    },
    text: `Memory ${previous.contentHash} superseded by ${current.contentHash}`,
  };
}

/** Current truth with history: replacing a memory by a newer one, and reading the chain of versions. */
export function historyTools(deps: ToolDeps): McpTool[] {
  return [
    defineTool({
      name: 'memory_supersede',
      title: 'Supersede a memory',
      description:
        'Replace a memory that stopped being true by a new one ("moved to Porto" replacing "lives in Berlin"). ' +
        'The old memory keeps its content, is marked superseded_by and valid_to, and no longer appears in ' +
        'search or lists unless include_superseded is true. Tags, type and metadata left out are carried over.',
      effect: 'write',
      idempotent: false,
      input: z.object({ content_hash: HashInput, ...StoreInputFields }),
      output: SupersedeOutput,
      async run({ content_hash, ...replacement }) {
        return supersedeAnswer(await deps.memories.supersede(content_hash, liftTagsAndType(replacement)));
      },
    }),

    defineTool({
      name: 'memory_history',
      title: 'History of a memory',
      description: 'Every version of a memory linked by supersession, oldest first; the last one is the current truth.',
      effect: 'read',
      idempotent: true,
      input: z.object({ content_hash: HashInput }),
      output: z.object({ content_hash: z.string(), versions: z.array(MemoryOutput), total: z.number() }),
      async run({ content_hash }) {
        const versions = await deps.memories.history(content_hash);
        return {
          structured: { content_hash, versions: versions.map(toHistoryView), total: versions.length },
          text: versions.map((memory, i) => `${i + 1}. ${memory.contentHash}: ${memory.content}`).join('\n'),
        };
      },
    }),
  ];
}
