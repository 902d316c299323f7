import { z } from 'zod';
import { InvalidInput } from '../../common/domain-errors';
import { ContentHashParam } from '../../memories/memory.dto';
import { RateMemoryBody } from '../../quality/quality.dto';
import { toDistributionView, toQualityView, toRatingView } from '../../quality/quality.view';
import { defineTool, McpTool } from '../mcp-tool';
import { ToolDeps } from './tool-deps';
import { counted } from '../../common/counted';

/** MCP Memory Service's `memory_quality`: rate a memory, read its quality, or see the spread. */
export function qualityTools(deps: ToolDeps): McpTool[] {
  return [
    defineTool({
      name: 'memory_quality',
      title: 'Memory quality',
      description:
        'Quality of memories, built from use (retrievals, fetches) and explicit ratings. action "rate" records a ' +
        'rating of -1, 0 or 1 (content_hash and rating required; feedback optional); "get" reads one memory\'s ' +
        'score and signals; "analyze" gives the distribution over the namespace. Searches with quality_boost use it.',
      effect: 'write',
      idempotent: false,
      input: z.object({
        action: z.enum(['rate', 'get', 'analyze']).describe('rate, get or analyze'),
        content_hash: ContentHashParam.optional().describe('The memory (rate and get)'),
        rating: RateMemoryBody.shape.rating.optional(),
        feedback: RateMemoryBody.shape.feedback,
        min_quality: z.number().min(0).max(1).default(0).describe('analyze: only scores at least this'),
        max_quality: z.number().min(0).max(1).default(1).describe('analyze: only scores at most this'),
      }),
      output: z.object({
        action: z.string(),
        result: z
          .record(z.string(), z.unknown())
          .describe('rate: old and new score; get: score and signals; analyze: the distribution'),
      }),
      async run({ action, content_hash, rating, feedback, min_quality, max_quality }) {
        if (action === 'analyze') {
          const view = toDistributionView(await deps.quality.distribution({ min_quality, max_quality }), {
            min: min_quality,
            max: max_quality,
          });
          return {
            structured: { action, result: view },
            text: `${counted(view.total_memories, 'memory', 'memories')}: ${view.high_quality_count} high, ${view.medium_quality_count} medium, ${view.low_quality_count} low quality`,
          };
        }
        if (content_hash === undefined) throw new InvalidInput(`action "${action}" needs content_hash`);
        if (action === 'get') {
          const view = toQualityView(await deps.quality.qualityOf(content_hash));
          return {
            structured: { action, result: view },
            text: `Quality ${view.quality_score} (${view.access_count} uses)`,
          };
        }
        if (rating === undefined) throw new InvalidInput('action "rate" needs rating: -1, 0 or 1');
        const view = toRatingView(await deps.quality.rate(content_hash, { rating, feedback }));
        return {
          structured: { action, result: view },
          text: `${view.message}; quality ${view.old_quality_score} → ${view.new_quality_score}`,
        };
      },
    }),
  ];
}
