import type { Database } from 'better-sqlite3';
import { Migration } from './migrations/migration';

/**
 * Applies pending migrations, each in its own transaction together with its `schema_migrations` row,
 * so a crash mid-way leaves the database at the previous version, never half-migrated. Each transaction
 * takes the write lock first and checks again whether the migration is applied: replicas starting at once
 * on a new store wait for each other instead of both creating the same tables.
 */
export function applyMigrations(db: Database, migrations: readonly Migration[]): number[] {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL
  )`);
  const applied = new Set(db.prepare('SELECT version FROM schema_migrations').pluck().all() as number[]);
  const newest = Math.max(0, ...applied);
  const known = Math.max(0, ...migrations.map((migration) => migration.version));
  if (newest > known) {
    throw new Error(
      `The database schema is version ${newest}, newer than this Engram build knows (${known}); upgrade Engram`,
    );
  }
  const record = db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)');
  const isApplied = db.prepare('SELECT 1 FROM schema_migrations WHERE version = ?').pluck();
  const pending = [...migrations].sort((a, b) => a.version - b.version).filter((m) => !applied.has(m.version));
  const ran: number[] = [];
  for (const migration of pending) {
    db.transaction(() => {
      if (isApplied.get(migration.version) !== undefined) return; // another process got there first
      db.exec(migration.sql);
      record.run(migration.version, migration.name, Date.now());
      ran.push(migration.version);
    }).immediate();
  }
  return ran;
}
