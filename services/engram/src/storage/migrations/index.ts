import { memoriesMigration } from './001-memories';
import { authMigration } from './010-auth';
import { vectorChangesMigration } from './011-vector-changes';
import { ftsUpdateTriggerMigration } from './012-fts-update-trigger';
import { oauthGrantsMigration } from './013-oauth-grants';
import { trashIndexesMigration } from './014-trash-indexes';
import { auditMigration } from './015-audit';
import { timestampRepairMigration } from './016-timestamp-repair';
import { storeIdentityMigration } from './017-store-identity';
import { mcpCancellationsMigration } from './018-mcp-cancellations';
import { Migration } from './migration';
import { memoryTruthMigration } from './019-memory-truth';
import { oauthPendingConsentsMigration } from './020-oauth-pending-consents';
import { consolidationMigration } from './021-consolidation';
import { agentFileVersionsMigration } from './022-agent-file-versions';
import { conflictJudgeMigration } from './023-conflict-judge';
import { memoryIdBlocksMigration } from './024-memory-id-blocks';
import { memoryFilterProbeMigration } from './025-memory-filter-probe';
import { namespaceKeywordCorpusMigration } from './026-namespace-keyword-corpus';
import { namespaceOwnNumbersMigration } from './027-namespace-own-numbers';
import { foreignKeyIndexesMigration } from './028-foreign-key-indexes';
import { consentSourcesMigration } from './029-consent-sources';
import { memoryTalliesMigration } from './030-memory-tallies';
import { trashTallyMigration } from './031-trash-tally';
import { tagListOrderMigration } from './032-tag-list-order';
import { slotLeasesMigration } from './033-slot-leases';
import { inlineJobsMigration } from './034-inline-jobs';
import { currentTalliesMigration } from './035-current-tallies';
import { inlineJobOwnersMigration } from './036-inline-job-owners';
import { inlineJobsNamespaceMigration } from './037-inline-jobs-namespace';
import { inlineJobCancelsMigration } from './038-inline-job-cancels';
import { listCursorKeyMigration } from './039-list-cursor-key';
import { inlineJobFinalStepsMigration } from './040-inline-job-final-steps';
import { failureLimitEntriesMigration } from './041-failure-limit-entries';
import { inlineJobUnreportedEndsMigration } from './042-inline-job-unreported-ends';
import { inlineJobsByNamespaceMigration } from './043-inline-jobs-by-namespace';

/** Every migration, in order. Append new ones; never edit one that has shipped. */
export const MIGRATIONS: readonly Migration[] = [
  memoriesMigration,
  authMigration,
  vectorChangesMigration,
  ftsUpdateTriggerMigration,
  oauthGrantsMigration,
  trashIndexesMigration,
  auditMigration,
  timestampRepairMigration,
  storeIdentityMigration,
  mcpCancellationsMigration,
  memoryTruthMigration,
  oauthPendingConsentsMigration,
  consolidationMigration,
  agentFileVersionsMigration,
  conflictJudgeMigration,
  memoryIdBlocksMigration,
  memoryFilterProbeMigration,
  namespaceKeywordCorpusMigration,
  namespaceOwnNumbersMigration,
  foreignKeyIndexesMigration,
  consentSourcesMigration,
  memoryTalliesMigration,
  trashTallyMigration,
  tagListOrderMigration,
  slotLeasesMigration,
  inlineJobsMigration,
  currentTalliesMigration,
  inlineJobOwnersMigration,
  inlineJobsNamespaceMigration,
  inlineJobCancelsMigration,
  listCursorKeyMigration,
  inlineJobFinalStepsMigration,
  failureLimitEntriesMigration,
  inlineJobUnreportedEndsMigration,
  inlineJobsByNamespaceMigration,
];
