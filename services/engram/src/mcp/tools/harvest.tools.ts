import { z } from 'zod';
import { HarvestToolInput } from '../../harvest/harvest.dto';
import { toHarvestView } from '../../harvest/harvest.view';
import { defineTool, McpTool } from '../mcp-tool';
import { ToolDeps } from './tool-deps';
import { counted } from '../../common/counted';

/** MCP Memory Service's `memory_harvest`: candidate memories from a transcript, as POST /api/harvest. */
export function harvestTools(deps: ToolDeps): McpTool[] {
  return [
    defineTool({
      name: 'memory_harvest',
      title: 'Harvest memories from a conversation',
      description:
        'Extract candidate memories (durable facts, preferences, decisions) from a transcript with the configured ' +
        'chat model. They come back for review; store: true stores them (tagged harvested). Errors when no chat ' +
        'endpoint is configured, naming the settings.',
      effect: 'write',
      idempotent: true,
      input: HarvestToolInput,
      output: z.object({
        success: z.boolean(),
        candidates: z.array(
          z.object({
            content: z.string(),
            memory_type: z.string().nullable(),
            tags: z.array(z.string()),
            content_hash: z.string().optional().describe('With store: the stored (or existing) memory'),
            created: z.boolean().optional(),
          }),
        ),
        total: z.number(),
        stored: z.number(),
        rejected: z.number().describe("Items of the model's answer that were not usable memories"),
      }),
      async run(args, call) {
        const view = toHarvestView(await deps.harvest.harvest(args, call.signal));
        return {
          structured: view,
          text: `${counted(view.total, 'candidate memory', 'candidate memories')}; ${view.stored} stored`,
        };
      },
    }),
  ];
}
