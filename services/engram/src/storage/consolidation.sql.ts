import { Proposal, ProposalItemRecord, ProposalSetRecord } from './consolidation.store';

/** How many proposal sets a namespace keeps: older ones go when a new one is stored. */
export const KEPT_PROPOSAL_SETS = 20;

export interface ProposalSetRow {
  id: string;
  namespace: string;
  job_id: string | null;
  created_at: number;
  settings: string;
  summary: string;
}

export interface ProposalItemRow {
  item_id: number;
  proposal: string;
  applied_at: number | null;
  outcome: string | null;
}

export function toProposalSetRecord(row: ProposalSetRow, items: readonly ProposalItemRow[]): ProposalSetRecord {
  return {
    id: row.id,
    namespace: row.namespace,
    jobId: row.job_id,
    createdAt: Number(row.created_at),
    settings: JSON.parse(row.settings) as Record<string, unknown>,
    summary: JSON.parse(row.summary) as Record<string, unknown>,
    items: items.map(toProposalItemRecord),
  };
}

function toProposalItemRecord(row: ProposalItemRow): ProposalItemRecord {
  return {
    itemId: Number(row.item_id),
    proposal: JSON.parse(row.proposal) as Proposal,
    appliedAt: row.applied_at === null ? null : Number(row.applied_at),
    outcome: row.outcome === null ? null : (JSON.parse(row.outcome) as Record<string, unknown>),
  };
}
