import { PostgresConfig } from '../../config/config.types';
import { EmbeddingModel, ModelMismatchPolicy } from '../embedding-model.binding';
import { PostgresLockRepository } from '../locks/postgres-lock.repository';
import { Stores } from '../stores';
import { PostgresOAuthStore } from './postgres-oauth.store';
import { PostgresAgentFileJournal } from './postgres-agent-file-journal';
import { PostgresApiKeyStore } from './postgres-api-key.store';
import { PostgresAuditRepository } from './postgres-audit.repository';
import { PostgresConflictStore } from './postgres-conflict.store';
import { PostgresConsolidationStore } from './postgres-consolidation.store';
import { PostgresFailureLimiter } from './postgres-failure-limiter';
import { PostgresJobRecordStore } from './postgres-job-record.store';
import { PostgresMcpCancellationStore } from './postgres-mcp-cancellation.store';
import { PostgresModelGuard } from './postgres-model.guard';
import { PostgresMemoryStore } from './postgres-memory.store';
import { PostgresSearchStore } from './postgres-search.store';
import { PostgresSettingsStore } from './postgres-settings.store';
import { PostgresStorageInfo } from './postgres-storage-info';
import { PostgresSlotLeases } from './postgres-slot-leases';
import { PostgresUsageStore } from './postgres-usage.store';
import { hasIterativeScans, openPostgresDatabase } from './postgres.connection';
import { PostgresDatabase } from './postgres.database';

/** The PostgreSQL stores, with the pool PostgreSQL-only work (reindex staging, logical backups) needs. */
export interface PostgresStores extends Stores {
  backend: 'postgres';
  db: PostgresDatabase;
}

/** Connects, checks the server, migrates, binds the embedding model and builds every port on the pool. */
export async function openPostgresStores(
  settings: PostgresConfig,
  model?: EmbeddingModel,
  onMismatch?: ModelMismatchPolicy,
): Promise<PostgresStores> {
  const db = await openPostgresDatabase(settings, model, onMismatch);
  // Even a process that opened another model's database (to reindex it) never writes or searches with
  // mismatched vectors.
  const guard = new PostgresModelGuard(model?.modelId);
  return {
    backend: 'postgres',
    db,
    memories: new PostgresMemoryStore(db, guard),
    search: new PostgresSearchStore(db, { iterativeScans: await hasIterativeScans(db) }, guard),
    settings: new PostgresSettingsStore(db),
    audit: new PostgresAuditRepository(db),
    usage: new PostgresUsageStore(db),
    conflicts: new PostgresConflictStore(db),
    consolidation: new PostgresConsolidationStore(db),
    cancellations: new PostgresMcpCancellationStore(db),
    oauth: new PostgresOAuthStore(db),
    apiKeys: new PostgresApiKeyStore(db),
    fileJournal: new PostgresAgentFileJournal(db),
    jobRecords: new PostgresJobRecordStore(db),
    info: new PostgresStorageInfo(db),
    locks: new PostgresLockRepository(settings),
    slotLeases: new PostgresSlotLeases(db),
    failureLimiter: new PostgresFailureLimiter(db),
    close: () => db.close(),
  };
}
