import { AuditRepository } from '../audit/audit.repository';
import { FailureLimiter } from '../auth/failure-limiter';
import { StorageBackend } from '../config/config.types';
import { AgentFileJournal } from './agent-file-journal';
import { ApiKeyStore } from './api-key.store';
import { ConflictStore } from './conflict.store';
import { ConsolidationStore } from './consolidation.store';
import { JobRecordStore } from './job-record.store';
import { LockRepository } from './locks/lock.repository';
import { McpCancellationStore } from './mcp-cancellation.store';
import { MemoryStore } from './memory.store';
import { OAuthStore } from './oauth.store';
import { SearchStore } from './search.store';
import { SettingsStore } from './settings.store';
import { SlotLeases } from './slot-leases';
import { StorageInfoRepository } from './storage-info.repository';
import { UsageStore } from './usage.store';

/**
 * Every storage port of one opened store, built by one adapter (sqlite/sqlite.stores.ts or
 * postgres/postgres.stores.ts) and chosen once at start-up. Nothing above `storage/` sees a driver.
 */
export interface Stores {
  backend: StorageBackend;
  memories: MemoryStore;
  search: SearchStore;
  settings: SettingsStore;
  audit: AuditRepository;
  usage: UsageStore;
  conflicts: ConflictStore;
  consolidation: ConsolidationStore;
  cancellations: McpCancellationStore;
  apiKeys: ApiKeyStore;
  oauth: OAuthStore;
  /** The history of the agent's memory files (the files themselves: AgentFileStore). */
  fileJournal: AgentFileJournal;
  /** The api's in-process jobs (no Redis). */
  jobRecords: JobRecordStore;
  info: StorageInfoRepository;
  /** Locks that hold across every process of the deployment. */
  locks: LockRepository;
  /** Semaphores every process of the deployment shares (the conflict judge's slots without Redis). */
  slotLeases: SlotLeases;
  /** Failed credentials every process of the deployment counts together without Redis. */
  failureLimiter: FailureLimiter;
  close(): Promise<void>;
}
