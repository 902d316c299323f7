import { JobView } from '../jobs/job.types';
import { ProposalItemRecord, ProposalSetRecord, ProposedMember } from '../storage/consolidation.store';
import { AppliedItem } from './consolidation.service';
import { counted } from '../common/counted';

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

function toMemberView(member: ProposedMember) {
  return {
    content_hash: member.contentHash,
    content: member.content,
    created_at_iso: iso(member.createdAt),
    uses: member.uses,
  };
}

function toItemView(item: ProposalItemRecord) {
  const { proposal } = item;
  const common = {
    id: item.itemId,
    kind: proposal.kind,
    state: item.appliedAt === null ? 'proposed' : 'applied',
    applied_at_iso: iso(item.appliedAt),
    outcome: item.outcome,
  };
  if (proposal.kind === 'archive')
    return { ...common, members: [toMemberView(proposal.member)], reason: proposal.reason };
  return {
    ...common,
    members: proposal.members.map(toMemberView),
    keep: proposal.keep,
    merged_content: proposal.mergedContent,
    similarity: proposal.similarity,
  };
}

/** A proposal set as REST, MCP and the CLI show it. */
export function toProposalSetView(set: ProposalSetRecord) {
  return {
    id: set.id,
    namespace: set.namespace,
    created_at_iso: iso(set.createdAt),
    job_id: set.jobId,
    settings: set.settings,
    summary: set.summary,
    items: set.items.map(toItemView),
  };
}

/**
 * The recommendations in MCP Memory Service's shape (recommendation, memory_count, reasons,
 * estimated_duration), with the proposal set to review beside them.
 */
export function toRecommendationsView(set: ProposalSetRecord | undefined, memoryCount: number) {
  const open = set?.items.filter((item) => item.appliedAt === null) ?? [];
  const merges = open.filter((item) => item.proposal.kind === 'merge').length;
  const archives = open.length - merges;
  const reasons = [
    ...(merges > 0 ? [`${counted(merges, 'group', 'groups')} of near-duplicates could be merged`] : []),
    ...(archives > 0 ? [`${counted(archives, 'memory was', 'memories were')} never used and could be archived`] : []),
  ];
  return {
    recommendation: !set
      ? 'NO_PROPOSALS_YET'
      : open.length > 0
        ? 'CONSOLIDATION_BENEFICIAL'
        : 'NO_CONSOLIDATION_NEEDED',
    memory_count: memoryCount,
    reasons: set ? reasons : ['no consolidation has run in this namespace: POST /api/consolidation/trigger'],
    estimated_duration: 0,
    proposal_set: set ? toProposalSetView(set) : null,
  };
}

export function toAppliedView(setId: string, applied: readonly AppliedItem[]) {
  const count = (status: string) => applied.filter(({ outcome }) => outcome.status === status).length;
  return {
    success: true,
    proposal_set_id: setId,
    merged: count('merged'),
    archived: count('archived'),
    skipped: count('skipped'),
    items: applied.map(({ itemId, outcome, alreadyApplied }) => ({
      id: itemId,
      already_applied: alreadyApplied,
      ...outcome,
    })),
  };
}

/**
 * The status in MCP Memory Service's shape (running, next_* run times, jobs_executed, jobs_failed):
 * nothing is scheduled, so the next runs are null. Engram adds the running and last job with progress.
 */
export function toStatusView(jobs: readonly JobView[], latest: ProposalSetRecord | undefined) {
  const running = jobs.find((job) => job.state === 'active' || job.state === 'waiting' || job.state === 'delayed');
  const last = jobs.find((job) => job.state === 'completed' || job.state === 'failed' || job.state === 'cancelled');
  return {
    running: running !== undefined,
    scheduled: false,
    next_daily: null,
    next_weekly: null,
    next_monthly: null,
    jobs_executed: jobs.filter((job) => job.state === 'completed').length,
    jobs_failed: jobs.filter((job) => job.state === 'failed').length,
    running_job: running ?? null,
    last_job: last ?? null,
    latest_proposal_set: latest
      ? {
          id: latest.id,
          created_at_iso: iso(latest.createdAt),
          items: latest.items.length,
          applied: latest.items.filter((item) => item.appliedAt !== null).length,
        }
      : null,
  };
}

export function toCleanupView(outcome: {
  groups: { kept: string; removed: string[] }[];
  removed: number;
  dryRun: boolean;
}) {
  return {
    success: true,
    dry_run: outcome.dryRun,
    removed: outcome.dryRun ? 0 : outcome.removed,
    duplicates_found: outcome.removed,
    groups: outcome.groups,
    message: outcome.dryRun
      ? `${counted(outcome.removed, 'exact duplicate', 'exact duplicates')} found; nothing removed (dry run)`
      : `Removed ${counted(outcome.removed, 'exact duplicate', 'exact duplicates')} (to the trash, restorable)`,
  };
}
