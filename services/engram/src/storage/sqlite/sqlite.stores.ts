import { Logger } from '@nestjs/common';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteAuditRepository } from '../../audit/sqlite-audit.repository';
import { VectorIndexMode } from '../../config/config.types';
import { AnnIndex } from '../ann-index';
import { annIndexPaths } from '../ann-index-file';
import { bindEmbeddingModel, EmbeddingModel, ModelMismatchPolicy } from '../embedding-model.binding';
import { SqliteLockRepository } from '../locks/sqlite-lock.repository';
import { MemoryRepository } from '../memory.repository';
import { SearchRepository } from '../search.repository';
import { openSqliteDatabase, SqliteDatabase } from '../sqlite.connection';
import { Stores } from '../stores';
import { SqliteOAuthStore } from './sqlite-oauth.store';
import { VectorIndex } from '../vector-index';
import { SqliteAgentFileJournal } from './sqlite-agent-file-journal';
import { SqliteApiKeyStore } from './sqlite-api-key.store';
import { SqliteConflictStore } from './sqlite-conflict.store';
import { SqliteConsolidationStore } from './sqlite-consolidation.store';
import { SqliteFailureLimiter } from './sqlite-failure-limiter';
import { SqliteJobRecordStore } from './sqlite-job-record.store';
import { SqliteMcpCancellationStore } from './sqlite-mcp-cancellation.store';
import { SqliteMemoryStore } from './sqlite-memory.store';
import { SqliteSearchStore } from './sqlite-search.store';
import { SqliteSettingsStore } from './sqlite-settings.store';
import { SqliteSlotLeases } from './sqlite-slot-leases';
import { SqliteStorageInfo } from './sqlite-storage-info';
import { SqliteUsageStore } from './sqlite-usage.store';

export interface SqliteStoreOptions {
  path: string;
  pragmas: Record<string, string>;
  encryptionKey?: string;
  /** Absent for operator commands that never touch vectors (keys, audit): the store opens unbound. */
  model?: EmbeddingModel;
  onMismatch?: ModelMismatchPolicy;
  /** ENGRAM_VECTOR_INDEX; absent: `scan`. The index is kept only for a model-bound, unencrypted file. */
  vectorIndex?: VectorIndexMode;
}

/** The SQLite stores, with the handle SQLite-only work (whole-file backups, reindex staging) needs. */
export interface SqliteStores extends Stores {
  backend: 'sqlite_vec';
  db: SqliteDatabase;
  /** The HNSW index of the vectors, when kept (see openAnnIndex). */
  ann?: AnnIndex;
}

/** Opens (creating and migrating) the SQLite file, binds the embedding model and builds every port on it. */
export function openSqliteStores(options: SqliteStoreOptions): SqliteStores {
  const db = openSqliteDatabase(options.path, options.pragmas, options.encryptionKey);
  try {
    if (options.model) bindEmbeddingModel(db, options.path, options.model, options.onMismatch);
  } catch (error) {
    db.close();
    throw error;
  }
  const vectors = new VectorIndex(db);
  // Even a process that opened another model's database (to reindex it: the staging tables take those
  // vectors) must never write or search with mismatched ones.
  if (options.model) vectors.expectModel(options.model.modelId);
  const memories = new MemoryRepository(db, vectors);
  const ann = openAnnIndex(db, options);
  return {
    backend: 'sqlite_vec',
    db,
    ann,
    memories: new SqliteMemoryStore(memories),
    search: new SqliteSearchStore(new SearchRepository(db, vectors, memories, ann), vectors),
    settings: new SqliteSettingsStore(db),
    audit: new SqliteAuditRepository(db),
    usage: new SqliteUsageStore(db),
    conflicts: new SqliteConflictStore(db),
    consolidation: new SqliteConsolidationStore(db),
    cancellations: new SqliteMcpCancellationStore(db),
    oauth: new SqliteOAuthStore(db),
    apiKeys: new SqliteApiKeyStore(db),
    fileJournal: new SqliteAgentFileJournal(db),
    jobRecords: new SqliteJobRecordStore(db),
    info: new SqliteStorageInfo(db, options.path),
    locks: new SqliteLockRepository(lockFolderOf(options.path)),
    slotLeases: new SqliteSlotLeases(db),
    failureLimiter: new SqliteFailureLimiter(db),
    close: async () => {
      await ann?.close();
      if (db.open) db.close();
    },
  };
}

/**
 * The HNSW index beside a file database, for a process that searches with a model. Not for an encrypted
 * file (the index would hold its vectors in clear) nor `:memory:` (nothing to keep it beside). A saved
 * index starts loading at once; otherwise the first search over a large set starts it.
 */
function openAnnIndex(db: SqliteDatabase, options: SqliteStoreOptions): AnnIndex | undefined {
  if (options.vectorIndex !== 'ann' || !options.model || options.encryptionKey || options.path === ':memory:') {
    return undefined;
  }
  const logger = new Logger('VectorIndex');
  const ann = new AnnIndex(db, { databasePath: options.path, log: (message) => logger.log(message) });
  if (existsSync(annIndexPaths(options.path).header)) ann.start();
  return ann;
}

/**
 * Lock files live beside the database they guard, on the volume every process of the deployment
 * shares; an in-memory database is private to its process, and so are its locks.
 */
export function lockFolderOf(sqlitePath: string): string {
  return sqlitePath === ':memory:' ? join(tmpdir(), `engram-locks-${process.pid}`) : `${sqlitePath}-locks`;
}
