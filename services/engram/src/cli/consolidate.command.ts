import { DEFAULT_NAMESPACE, LOCAL_OWNER, runInContext } from '../auth/request-context';
import { isNamespace } from '../auth/namespace';
import { NotFound } from '../common/domain-errors';
import {
  ApplyConsolidationBody,
  MAX_STALE_DAYS,
  MIN_SIMILARITY,
  ProposalSetId,
  TriggerConsolidationBody,
} from '../consolidation/consolidation.dto';
import { ConsolidationService } from '../consolidation/consolidation.service';
import { toAppliedView, toProposalSetView } from '../consolidation/consolidation.view';
import { followJob } from '../jobs/job-waiter';
import { decimalFlag, integerFlag, parseCommandArgs } from './cli-args';
import { CliCommand } from './cli-command';
import { configUsage, printJson, refusal, usageError } from './cli-output';
import { describeFlagIssues } from './flag-issues';
import { unfinished, withJobQueue } from './job-command';
import { progressPrinter } from './progress-bar';
import { counted } from '../common/counted';

const USAGE = `usage: engram consolidate [--similarity <0.5-1>] [--stale-days <n>] [--namespace <ns>] [--json]
       engram consolidate --apply <proposal-set-id> [--items 1,2,…] [--namespace <ns>] [--json]
  without --apply  run consolidation as a job and print its proposals (a dry run: nothing changes):
                   near-duplicates to merge (--similarity, default ENGRAM_CONSOLIDATION_SIMILARITY) and
                   memories older than --stale-days never used, to archive
  --apply <id>     apply a reviewed proposal set, or only the --items named
  ${configUsage()}`;

/** Flags named by the fields of the request they fill, for problems in the flag's own words. */
const FIELD_FLAGS: Record<string, string> = {
  similarity_threshold: '--similarity',
  stale_after_days: '--stale-days',
  proposal_set_id: '--apply',
  item_ids: '--items',
};

export const consolidateCommand: CliCommand = {
  usage: USAGE,
  async run(argv) {
    const args = parseCommandArgs(argv, {
      similarity: { type: 'string' },
      'stale-days': { type: 'string' },
      apply: { type: 'string' },
      items: { type: 'string' },
      namespace: { type: 'string' },
      json: { type: 'boolean' },
    });
    if ('problem' in args) return usageError('consolidate', args.problem, USAGE);
    if (args.positionals.length > 0) return usageError('consolidate', `unexpected "${args.positionals[0]}"`, USAGE);
    const { flags } = args;
    const namespace = flags.namespace ?? DEFAULT_NAMESPACE;
    if (typeof namespace !== 'string' || !isNamespace(namespace)) {
      return usageError('consolidate', '--namespace: lowercase letters, digits, - and _ (at most 64)', USAGE);
    }
    const applying = flags.apply !== undefined;
    // The schema's message points REST clients to GET /api/consolidation/recommendations.
    if (applying && !ProposalSetId.safeParse(flags.apply).success) {
      return usageError(
        'consolidate',
        '--apply: expected the id of a proposal set, as engram consolidate prints it',
        USAGE,
      );
    }
    if (!applying && flags.items !== undefined) return usageError('consolidate', '--items goes with --apply', USAGE);
    const runOnly = ['similarity', 'stale-days'].find((flag) => flags[flag] !== undefined);
    if (applying && runOnly) {
      return usageError('consolidate', `--${runOnly} tunes a new run, not --apply of a reviewed set`, USAGE);
    }
    const staleDays = integerFlag(args, 'stale-days', 1, MAX_STALE_DAYS);
    if (staleDays.problem) return usageError('consolidate', staleDays.problem, USAGE);
    const similarity = decimalFlag(args, 'similarity', MIN_SIMILARITY, 1);
    if (similarity.problem) return usageError('consolidate', similarity.problem, USAGE);
    const itemIds = typeof flags.items === 'string' ? flags.items.split(',').map((id) => id.trim()) : undefined;
    // Digits only, as every integer: Number() would read "0x10" as item 16.
    if (itemIds?.some((id) => !/^\d+$/.test(id))) {
      return usageError('consolidate', '--items: item numbers, digits only, separated by commas (1,2,5)', USAGE);
    }
    const parsed = applying
      ? ApplyConsolidationBody.safeParse({
          proposal_set_id: flags.apply,
          ...(itemIds ? { item_ids: itemIds.map(Number) } : {}),
        })
      : TriggerConsolidationBody.safeParse({
          ...(similarity.value !== undefined ? { similarity_threshold: similarity.value } : {}),
          ...(staleDays.value !== undefined ? { stale_after_days: staleDays.value } : {}),
        });
    if (!parsed.success) {
      const problems = describeFlagIssues(parsed.error, (field) => FIELD_FLAGS[field] ?? 'consolidate');
      return usageError('consolidate', problems, USAGE);
    }
    const json = flags.json === true;
    return withJobQueue('consolidate', args.configArgv, (queue, context) =>
      runInContext({ ...LOCAL_OWNER, namespace }, async () => {
        const consolidation = context.get(ConsolidationService, { strict: false });
        try {
          if (applying) {
            const input = parsed.data as { proposal_set_id: string; item_ids?: number[] };
            const unknown = await unknownSet(consolidation, input.proposal_set_id, namespace);
            if (unknown !== undefined) {
              process.stderr.write(`engram consolidate: ${unknown}\n`);
              return 64; // EX_USAGE, as --items naming items the set lacks
            }
            const applied = toAppliedView(input.proposal_set_id, await consolidation.apply(input));
            if (json) return printJson(applied);
            printApplied(applied);
            return 0;
          }
          const queued = await consolidation.trigger(parsed.data as Parameters<ConsolidationService['trigger']>[0]);
          if (queue.kind === 'bullmq')
            process.stderr.write(`queued as job ${queued.id} on Redis; waiting for a worker\n`);
          const job = await followJob(queue, queued.id, { onUpdate: progressPrinter() });
          if (job?.state !== 'completed') return unfinished('consolidate', job);
          const set = toProposalSetView((await consolidation.proposalSet(String(job.result!.proposal_set_id)))!);
          if (json) return printJson(set);
          printProposals(set);
          return 0;
        } catch (error) {
          return refusal('consolidate', error, (field) => FIELD_FLAGS[field]);
        }
      }),
    );
  },
};

/**
 * Why --apply names no proposal set of the namespace, with what the namespace does hold (its newest
 * set, the one engram consolidate last printed), or undefined when the set is there.
 */
async function unknownSet(
  consolidation: ConsolidationService,
  id: string,
  namespace: string,
): Promise<string | undefined> {
  try {
    await consolidation.proposalSet(id);
    return undefined;
  } catch (error) {
    if (!(error instanceof NotFound)) throw error;
  }
  const given = `--apply: no proposal set ${JSON.stringify(id)} in namespace ${JSON.stringify(namespace)}`;
  const newest = await consolidation.proposalSet(undefined);
  if (!newest) return `${given}, which has none yet (engram consolidate makes one)`;
  return `${given}; the newest there is ${newest.id}, made ${minute(newest.createdAt)} UTC`;
}

function printProposals(set: ReturnType<typeof toProposalSetView>): void {
  const merges = set.items.filter((item) => item.kind === 'merge').length;
  const lines = [
    `proposal set ${set.id} (${counted(Number(set.summary.scanned), 'memory', 'memories')} compared): ${counted(merges, 'merge', 'merges')}, ` +
      counted(set.items.length - merges, 'archive', 'archives'),
  ];
  for (const item of set.items) {
    const [first] = item.members;
    const head =
      'keep' in item
        ? `merge    ${short(item.keep)} ← ${item.members
            .filter((m) => m.content_hash !== item.keep)
            .map((m) => short(m.content_hash))
            .join(', ')}  similarity ${item.similarity}`
        : `archive  ${short(first.content_hash)}  ${item.reason}`;
    const text = 'merged_content' in item ? item.merged_content : first.content;
    lines.push(`${String(item.id).padStart(3)}  ${head}`, `     ${oneLine(text)}`);
  }
  if (set.items.length > 0) lines.push(`review, then apply: engram consolidate --apply ${set.id} [--items 1,2,…]`);
  process.stdout.write(`${lines.join('\n')}\n`);
}

function printApplied(applied: ReturnType<typeof toAppliedView>): void {
  const lines = [
    `applied proposal set ${applied.proposal_set_id}: ${applied.merged} merged, ${applied.archived} archived, ` +
      `${applied.skipped} skipped`,
  ];
  for (const item of applied.items) {
    const what = 'memory' in item ? `${item.status} ${short(item.memory)}` : `skipped: ${item.reason}`;
    lines.push(`${String(item.id).padStart(3)}  ${what}${item.already_applied ? ' (applied before)' : ''}`);
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}

const short = (hash: string) => hash.slice(0, 12);
const minute = (ms: number) => new Date(ms).toISOString().slice(0, 16).replace('T', ' ');

function oneLine(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 160 ? `${flat.slice(0, 159)}…` : flat;
}
