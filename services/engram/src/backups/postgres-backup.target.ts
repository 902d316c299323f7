import { createWriteStream } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { MemoryExportService } from '../export/memory-export.service';
import { isUniqueViolation, PostgresDatabase, Queryable } from '../storage/postgres/postgres.database';
import { PostgresMemoryStore } from '../storage/postgres/postgres-memory.store';
import { pinnedTo } from '../storage/postgres/postgres-pinned';
import { PostgresSearchStore } from '../storage/postgres/postgres-search.store';
import { PostgresSettingsStore } from '../storage/postgres/postgres-settings.store';
import { withTalliesRecounted } from '../storage/postgres/postgres-tally-recount';
import { BackupFormat, EXPORT_FILE } from './backup-manifest';
import { BackupCorrupted } from './backup.errors';
import { DatabaseBackupTarget } from './database-backup.target';
import { DatabaseSummary, emptySummary } from '../storage/sqlite-file/database-snapshot';
import { SwapOutcome } from '../storage/sqlite-file/database-swap';
import { ExportFileInvalid, readExportFile } from './export-file.reader';
import { restoreExport } from './postgres-export.restore';
import { BackupLeftover } from './backup-leftovers';

/**
 * Backups of a PostgreSQL store: Engram's portable export of every memory of every namespace (superseded
 * versions with their links, the trash, tags, metadata, vectors and the model id), read from one
 * snapshot. The operator's pg_dump or CloudNativePG backups are the primary ones; this copy is portable
 * and restorable through Engram. It does not carry usage counts or conflict records, and a restore
 * gives the memories new ids.
 */
export class PostgresBackupTarget extends DatabaseBackupTarget {
  readonly format: BackupFormat = 'engram-export';
  readonly dataFile = EXPORT_FILE;

  constructor(private readonly db: PostgresDatabase) {
    super();
  }

  async writeCopy(path: string): Promise<DatabaseSummary> {
    return this.db.transaction(async (client) => {
      // One snapshot for every page: writes during the backup are either all in it or not at all.
      await client.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY');
      await client.query('SET LOCAL statement_timeout = 0');
      return this.exportWith(client, path);
    });
  }

  /** The live contents as the client's transaction sees them, written to `path` and summarised. */
  private async exportWith(client: Queryable, path: string): Promise<DatabaseSummary> {
    const pinned = pinnedTo(this.db, client);
    const exporter = new MemoryExportService(
      new PostgresMemoryStore(pinned),
      new PostgresSearchStore(pinned, { iterativeScans: false }),
      new PostgresSettingsStore(pinned),
    );
    await pipeline(Readable.from(exporter.lines({ vectors: true, trash: true })), createWriteStream(path));
    const schemaVersion = await liveSchemaVersion(client);
    return { ...(await this.summarise(path)), schemaVersion };
  }

  async summarise(path: string): Promise<DatabaseSummary> {
    const summary = emptySummary('ok');
    try {
      await readExportFile(path, {
        header: (header) => {
          summary.embeddingModel = header.embedding_model?.id ?? null;
          summary.embeddingDimension = header.embedding_model?.dimension ?? null;
        },
        memory: (memory) => {
          summary.counts.memories += 1;
          summary.counts.tags += memory.tags.length;
          if (memory.deleted_at !== undefined) return;
          summary.counts.liveMemories += 1;
          summary.counts.embeddings += 1;
        },
      });
      return summary;
    } catch (error) {
      if (error instanceof ExportFileInvalid) return emptySummary(error.message);
      throw error;
    }
  }

  schemaVersion(): Promise<number> {
    return liveSchemaVersion(this.db);
  }

  async restore(path: string, keepCurrentAt: string): Promise<SwapOutcome> {
    const started = performance.now();
    const { memories, liveMemories, replaced } = await this.db
      .transaction(async (client) => {
        await client.query('SET LOCAL statement_timeout = 0');
        // Writers wait until the commit; readers keep seeing the old memories until then.
        await client.query('LOCK TABLE memories IN SHARE ROW EXCLUSIVE MODE');
        // The contents replaced, kept while writers wait: no acknowledged write falls outside both.
        const current = await this.exportWith(client, keepCurrentAt);
        if (current.integrity !== 'ok') {
          throw new Error(
            `The copy of the current state cannot be read back (${current.integrity}); nothing was restored`,
          );
        }
        const model = await new PostgresSettingsStore(pinnedTo(this.db, client)).embeddingModel();
        // Loaded with the tally triggers set aside (a trigger per memory), then counted once.
        const restored = await withTalliesRecounted(client, () => restoreExport(client, path, model));
        return { ...restored, replaced: current };
      })
      .catch((error: unknown) => {
        throw unrestorable(error);
      });
    return { memories, liveMemories, replaced, transactionMs: Math.round(performance.now() - started) };
  }

  /** The export is read where the backup keeps it, in one transaction: a restore cut short leaves nothing. */
  async leftovers(): Promise<BackupLeftover[]> {
    return [];
  }
}

/** A backup file that turned out unreadable or inconsistent while restoring: 422, and nothing changed. */
function unrestorable(error: unknown): unknown {
  if (error instanceof ExportFileInvalid) {
    return new BackupCorrupted(`The backup cannot be read (${error.message}); nothing was restored`);
  }
  if (isUniqueViolation(error)) {
    const detail = (error as { detail?: string }).detail ?? '';
    return new BackupCorrupted(`The backup holds one memory twice in a namespace (${detail}); nothing was restored`);
  }
  return error;
}

async function liveSchemaVersion(db: Queryable): Promise<number> {
  const [row] = await db.query<{ version: number | null }>('SELECT max(version) AS version FROM schema_migrations');
  return row.version ?? 0;
}
