/** A memory as a proposal names it: what the reviewer saw when the proposal was made. */
export interface ProposedMember {
  contentHash: string;
  content: string;
  createdAt: number;
  /** Retrievals plus fetches when the proposal was made. */
  uses: number;
}

/**
 * Near-duplicates to merge into one memory. `keep` is the member that leads (most used, then longest,
 * then newest; or the member whose text the merged text is): its type and metadata carry over.
 */
export interface MergeProposal {
  kind: 'merge';
  members: ProposedMember[];
  keep: string;
  mergedContent: string;
  /** The lowest similarity of a member to the leading one. */
  similarity: number;
}

/** A memory nobody used for long, to archive (hide from default search, restorable). */
export interface ArchiveProposal {
  kind: 'archive';
  member: ProposedMember;
  reason: string;
}

export type Proposal = MergeProposal | ArchiveProposal;

export interface ProposalItemRecord {
  /** 1, 2, … within its set. */
  itemId: number;
  proposal: Proposal;
  appliedAt: number | null;
  /** What applying it did (or why it was skipped). */
  outcome: Record<string, unknown> | null;
}

/** One consolidation run's proposals, reviewed and applied (whole or in part) later. */
export interface ProposalSetRecord {
  id: string;
  namespace: string;
  /** The job that made it. */
  jobId: string | null;
  createdAt: number;
  /** What the run was asked for (threshold, age), as the reviewer may want to know. */
  settings: Record<string, unknown>;
  /** Counts of the run (memories scanned, proposals left out beyond the cap). */
  summary: Record<string, unknown>;
  items: ProposalItemRecord[];
}

export type NewProposalSet = Omit<ProposalSetRecord, 'items'> & { items: { itemId: number; proposal: Proposal }[] };

/** Consolidation proposal sets and which of their items were applied (consolidation/). */
export abstract class ConsolidationStore {
  /** Stores a set with its items in one transaction; only the newest `keep` sets of the namespace stay. */
  abstract save(set: NewProposalSet, keep: number): Promise<void>;
  abstract find(namespace: string, id: string): Promise<ProposalSetRecord | undefined>;
  /** The namespace's most recent set. */
  abstract latest(namespace: string): Promise<ProposalSetRecord | undefined>;
  /** Records an item as applied with its outcome; false (nothing written) when it was applied before. */
  abstract markApplied(
    namespace: string,
    setId: string,
    itemId: number,
    outcome: Record<string, unknown>,
    at: number,
  ): Promise<boolean>;
}
