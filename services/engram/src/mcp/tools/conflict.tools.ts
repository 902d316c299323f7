import { z } from 'zod';
import { CONFLICT_STATUSES, RESOLUTIONS, ResolveConflictBody } from '../../conflicts/conflict.dto';
import { describeDecision, shownDecision } from '../../conflicts/conflict-decision';
import { toConflictView } from '../../conflicts/conflict.view';
import { MAX_PAGE_SIZE } from '../../memories/memory.dto';
import { toMemoryView } from '../../memories/memory.view';
import { defineTool, McpTool } from '../mcp-tool';
import { ToolDeps } from './tool-deps';
import { ConflictOutput, MemoryOutput } from './tool-schemas';
import { counted } from '../../common/counted';

/** Contradiction review over MCP: list (or scan for) proposals, and decide them. */
export function conflictTools(deps: ToolDeps): McpTool[] {
  return [
    defineTool({
      name: 'memory_conflicts',
      title: 'Possible contradictions',
      description:
        'Pairs of memories that may state incompatible things about the same subject, with evidence and a score, ' +
        'highest first. scan: true first starts a scan of the namespace as a job (proposals appear as it runs). ' +
        'Nothing is changed until memory_resolve decides a pair. With an LLM judge configured, each proposal carries ' +
        'its verdict (judge); pairs the judge rejects are listed as dismissed (resolution judge_dismissed).',
      effect: 'write',
      idempotent: true,
      input: z.object({
        scan: z.boolean().default(false).describe('true: start a scan job of this namespace first'),
        status: z.enum(CONFLICT_STATUSES).default('open'),
        page: z.number().int().min(1).max(1_000_000).default(1),
        page_size: z.number().int().min(1).max(MAX_PAGE_SIZE).default(20),
      }),
      output: z.object({
        conflicts: z.array(ConflictOutput),
        total: z.number(),
        scan_job_id: z.string().optional().describe('With scan: the job, followed at GET /api/conflicts/scan/{id}'),
      }),
      async run({ scan, ...query }) {
        const job = scan ? await deps.conflicts.requestScan() : undefined;
        const page = await deps.conflicts.list(query);
        return {
          structured: {
            conflicts: page.pairs.map(toConflictView),
            total: page.total,
            ...(job ? { scan_job_id: job.id } : {}),
          },
          text: `${counted(page.total, `${query.status} conflict`, `${query.status} conflicts`)}${job ? `; scan job ${job.id} started` : ''}`,
        };
      },
    }),

    defineTool({
      name: 'memory_resolve',
      title: 'Resolve a contradiction',
      description:
        `Decide a proposed conflict (${RESOLUTIONS.join(', ')}): supersede keeps the memory named by keep and marks ` +
        'the other superseded (kept as history); keep_both and dismiss leave both. Decisions are remembered, so ' +
        'the pair is not proposed again. winner_hash with loser_hash (MCP Memory Service) means supersede.',
      effect: 'write',
      idempotent: true,
      input: ResolveConflictBody,
      output: z.object({
        success: z.boolean(),
        unchanged: z.boolean().describe('true: this decision had been taken before'),
        conflict: ConflictOutput,
        superseded: MemoryOutput.optional(),
      }),
      async run(args) {
        const outcome = await deps.conflicts.resolve(args);
        return {
          structured: {
            success: true,
            unchanged: outcome.unchanged,
            conflict: toConflictView(outcome.pair),
            ...(outcome.supersession ? { superseded: toMemoryView(outcome.supersession.previous) } : {}),
          },
          text: `Conflict ${outcome.pair.conflict.number}: ${describeDecision(shownDecision(outcome.pair))}${outcome.unchanged ? ' (unchanged)' : ''}`,
        };
      },
    }),
  ];
}
