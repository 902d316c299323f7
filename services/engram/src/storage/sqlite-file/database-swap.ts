import { keyClause, keyOfFile } from '../database-key';
import { copyLiveDatabase, DatabaseSummary, sealCopy } from './database-snapshot';
import { openSqliteDatabase, SqliteDatabase } from '../sqlite.connection';
import { VectorIndex } from '../vector-index';
import { withTalliesRecounted } from './tally-recount';
import { counted } from '../../common/counted';

export interface SwapOutcome {
  memories: number;
  liveMemories: number;
  /** How long the write transaction held the database, the longest a writer elsewhere waits. */
  transactionMs: number;
  /** The contents replaced, as kept at `keepCurrentAt` (the pre-restore backup's data file). */
  replaced: DatabaseSummary;
}

/**
 * Tables a restore leaves as they are: the file's own bookkeeping, credentials — restoring an old
 * backup must not bring back revoked keys or tokens, nor drop keys made since — the audit log and the job list.
 */
const NOT_COPIED = new Set([
  'schema_migrations',
  'api_keys',
  'oauth_clients',
  'oauth_codes',
  'oauth_tokens',
  'oauth_pending_consents', // a sign-in under way now, not the backup's
  'vector_changes', // the restored vectors are a new epoch: every process's mirror reloads
  'audit_events', // a restore does not rewrite history, and is itself in it
  'inline_jobs', // the apis' jobs, the restore among them; the backup's would be stale
  'store_identity', // still this deployment: its Redis prefix must not change
  'slot_leases', // the slots the processes running now hold and wait for, not the backup's
  'slot_members', // and the limits those processes agree on
  'failure_limit_entries', // the failures counted now: a restore must not give an attacker a fresh budget
]);
/**
 * Tables emptied with the rest but not copied: triggers fill them again as the memories are copied, but
 * memory_tallies, counted once after the copy (tally-recount.ts).
 */
const REFILLED = new Set(['memory_id_blocks', 'memories_keyword_corpus', 'memory_tallies']);

/**
 * Replaces the contents of the live database with those of `sourcePath` (a verified, migrated copy of a
 * backup) in one write transaction on a connection of its own. Readers on other connections see the old
 * state until the commit and the new one after, never a mix; the keyword index follows through its
 * triggers and the quantised vector index is rebuilt from the restored vectors inside the transaction.
 * The contents replaced are first copied to `keepCurrentAt` and checked, inside the same transaction:
 * writers wait from the copy to the commit, so every write acknowledged before the swap is in the copy
 * (copied earlier, writes in between were in neither). A copy that fails its check changes nothing.
 */
export function swapInDatabase(
  livePath: string,
  sourcePath: string,
  keepCurrentAt: string,
  pragmas: Record<string, string>,
  encryptionKey?: string,
): SwapOutcome {
  // A backup taken before the store was encrypted is plaintext: it is read without the key.
  const sourceKey = keyOfFile(sourcePath, encryptionKey);
  // Opening runs the migrations: a backup taken by an older build gets the live schema first.
  openSqliteDatabase(sourcePath, {}, sourceKey).close();
  const db = openSqliteDatabase(livePath, pragmas, encryptionKey);
  try {
    // Without KEY an attached file would be read with the live one's key; '' means plaintext.
    db.prepare('ATTACH DATABASE ? AS source KEY ?').run(
      sourcePath,
      sourceKey === undefined ? '' : keyClause(sourceKey),
    );
    const tables = copiedTables(db);
    const started = performance.now();
    const outcome = db
      .transaction(() => {
        // This connection holds the write lock from BEGIN IMMEDIATE: the copy's read sees the last commit.
        copyLiveDatabase(livePath, keepCurrentAt, encryptionKey);
        const replaced = sealCopy(keepCurrentAt, encryptionKey);
        if (replaced.integrity !== 'ok') {
          throw new Error(
            `The copy of the current state failed its integrity check (${replaced.integrity}); nothing was restored`,
          );
        }
        db.pragma('defer_foreign_keys = ON');
        withTalliesRecounted(db, () => {
          for (const table of tables) db.exec(`DELETE FROM main."${table}"`);
          for (const table of tables) if (!REFILLED.has(table)) copyRows(db, table);
        });
        rebuildQuantisedVectors(db);
        VectorIndex.markRebuilt(db);
        return { ...checkCounts(db), replaced };
      })
      .immediate();
    return { ...outcome, transactionMs: Math.round(performance.now() - started) };
  } finally {
    db.close();
  }
}

/** Every ordinary table of the live schema except virtual tables' shadow tables and bookkeeping. */
function copiedTables(db: SqliteDatabase): string[] {
  const rows = db
    .prepare("SELECT name, sql FROM main.sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
    .all() as { name: string; sql: string }[];
  const virtual = rows.filter((row) => /^CREATE VIRTUAL TABLE/i.test(row.sql)).map((row) => row.name);
  const isShadow = (name: string) => virtual.some((table) => name.startsWith(`${table}_`));
  // Parents before children, so foreign keys hold row by row as well as at commit.
  const order = ['memories'];
  return rows
    .filter((row) => !virtual.includes(row.name) && !isShadow(row.name) && !NOT_COPIED.has(row.name))
    .map((row) => row.name)
    .filter((name) => !name.startsWith('reindex_'))
    .sort((a, b) => Number(order.includes(b)) - Number(order.includes(a)));
}

/** Copies the columns both schemas share (the source was migrated to the live version, so: all). */
function copyRows(db: SqliteDatabase, table: string): void {
  const columnsOf = (schema: string) =>
    (db.prepare(`SELECT name FROM pragma_table_info(?, ?)`).pluck().all(table, schema) as string[]).map(
      (name) => `"${name}"`,
    );
  const sourceColumns = new Set(columnsOf('source'));
  if (sourceColumns.size === 0) return;
  const columns = columnsOf('main').filter((column) => sourceColumns.has(column));
  const list = columns.join(', ');
  db.exec(`INSERT INTO main."${table}" (${list}) SELECT ${list} FROM source."${table}"`);
}

function rebuildQuantisedVectors(db: SqliteDatabase): void {
  const dimension = Number(
    db.prepare("SELECT value FROM main.settings WHERE key = 'embedding_dimension'").pluck().get() ?? 0,
  );
  db.exec(`DROP TABLE IF EXISTS main.${VectorIndex.TABLE}`);
  if (dimension <= 0) return;
  new VectorIndex(db).create(dimension);
  db.exec(
    `INSERT INTO main.${VectorIndex.TABLE} (rowid, namespace, embedding)
     SELECT e.memory_id, m.namespace, vec_quantize_binary(e.embedding)
     FROM main.memory_embeddings e JOIN main.memories m ON m.id = e.memory_id`,
  );
}

/** A last guard inside the transaction: a short copy rolls everything back. */
function checkCounts(db: SqliteDatabase): Pick<SwapOutcome, 'memories' | 'liveMemories'> {
  const count = (schema: string, where = '') =>
    db.prepare(`SELECT count(*) FROM ${schema}.memories ${where}`).pluck().get() as number;
  const memories = count('main');
  if (memories !== count('source')) {
    throw new Error(`Restore copied ${memories} of ${counted(count('source'), 'memory', 'memories')}; rolled back`);
  }
  return { memories, liveMemories: count('main', 'WHERE deleted_at IS NULL') };
}
