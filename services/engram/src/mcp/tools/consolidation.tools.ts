import { z } from 'zod';
import {
  ApplyConsolidationBody,
  CleanupBody,
  TIME_HORIZONS,
  TriggerConsolidationBody,
} from '../../consolidation/consolidation.dto';
import {
  toAppliedView,
  toCleanupView,
  toRecommendationsView,
  toStatusView,
} from '../../consolidation/consolidation.view';
import { InvalidInput } from '../../common/domain-errors';
import { defineTool, McpTool } from '../mcp-tool';
import { ToolDeps } from './tool-deps';

const ACTIONS = ['run', 'status', 'recommend', 'apply'] as const;

/** Consolidation over MCP: the same runs, proposal sets and cleanup as /api/consolidation. */
export function consolidationTools(deps: ToolDeps): McpTool[] {
  return [
    defineTool({
      name: 'memory_consolidate',
      title: 'Consolidate memories',
      description:
        'Reviewable consolidation of this namespace. action run (default) starts a job that proposes merging ' +
        'near-duplicates and archiving old memories nobody used; a dry run unless dry_run is false. recommend ' +
        'shows the newest proposal set (or proposal_set_id), status the running and last job, apply applies a ' +
        'reviewed set (item_ids: some of it). Merges supersede their sources (kept as history); archives go to ' +
        'the trash (memory_restore brings them back).',
      // apply may archive (a soft delete): clients should ask before running it.
      effect: 'destructive',
      idempotent: false,
      input: z.object({
        action: z
          .enum(ACTIONS)
          .default('run')
          .describe('run: start a job; status; recommend: a proposal set; apply: a reviewed set'),
        time_horizon: z.enum(TIME_HORIZONS).optional().describe('MCP Memory Service: accepted and echoed only'),
        similarity_threshold: TriggerConsolidationBody.shape.similarity_threshold,
        stale_after_days: TriggerConsolidationBody.shape.stale_after_days,
        dry_run: TriggerConsolidationBody.shape.dry_run,
        proposal_set_id: ApplyConsolidationBody.shape.proposal_set_id
          .optional()
          .describe('apply (required) and recommend: the proposal set'),
        item_ids: ApplyConsolidationBody.shape.item_ids,
      }),
      output: z.object({
        action: z.enum(ACTIONS),
        result: z.record(z.string(), z.unknown()),
      }),
      async run({ action, proposal_set_id, item_ids, ...trigger }) {
        const answer = (result: Record<string, unknown>, text: string) => ({ structured: { action, result }, text });
        const consolidation = deps.consolidation;
        if (action === 'run') {
          const job = await consolidation.trigger(trigger);
          const dry = trigger.dry_run ? 'dry run: proposals only' : 'proposals applied when made';
          return answer(
            { status: 'queued', job_id: job.id, dry_run: trigger.dry_run, horizon: trigger.time_horizon ?? null, job },
            `Consolidation job ${job.id} started (${dry})`,
          );
        }
        if (action === 'status') {
          const status = toStatusView(await consolidation.recentJobs(), await consolidation.proposalSet(undefined));
          return answer(status, status.running ? 'A consolidation job is running' : 'No consolidation job is running');
        }
        if (action === 'recommend') {
          const view = toRecommendationsView(
            await consolidation.proposalSet(proposal_set_id),
            await consolidation.memoryCount(),
          );
          return answer(view, `${view.recommendation}: ${view.reasons.join('; ') || 'nothing to do'}`);
        }
        if (proposal_set_id === undefined) throw new InvalidInput('apply needs proposal_set_id');
        const applied = toAppliedView(proposal_set_id, await consolidation.apply({ proposal_set_id, item_ids }));
        return answer(
          applied,
          `Applied proposal set ${proposal_set_id}: ${applied.merged} merged, ${applied.archived} archived, ${applied.skipped} skipped`,
        );
      },
    }),

    defineTool({
      name: 'memory_cleanup',
      title: 'Remove exact duplicates',
      description:
        'Removes exact duplicates in this namespace: memories whose text is the same but for case and whitespace. ' +
        'The most used of each group stays; the others go to the trash (memory_restore brings one back).',
      effect: 'destructive',
      idempotent: true,
      input: CleanupBody,
      output: z.object({
        success: z.boolean(),
        dry_run: z.boolean(),
        removed: z.number(),
        duplicates_found: z.number(),
        groups: z.array(z.object({ kept: z.string(), removed: z.array(z.string()) })),
        message: z.string(),
      }),
      async run({ dry_run }) {
        const view = toCleanupView(await deps.duplicates.cleanup(dry_run));
        return { structured: view, text: view.message };
      },
    }),
  ];
}
