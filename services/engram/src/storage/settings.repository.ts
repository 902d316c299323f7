import { PreparedStatements } from './prepared-statements';
import { SqliteDatabase } from './sqlite.connection';

/** Key/value settings persisted with the data (the embedding model that produced its vectors). */
export class SettingsRepository {
  private readonly statements: PreparedStatements;

  constructor(db: SqliteDatabase) {
    this.statements = new PreparedStatements(db);
  }

  get(key: string): string | undefined {
    return this.statements.get('SELECT value FROM settings WHERE key = ?').pluck().get(key) as string | undefined;
  }

  set(key: string, value: string): void {
    this.statements.get('INSERT OR REPLACE INTO settings (key, value) VALUES (?, ?)').run(key, value);
  }

  /** The random id this store was given at creation (migration 017); a restore keeps it. */
  storeId(): string {
    return this.statements.get('SELECT store_id FROM store_identity').pluck().get() as string;
  }

  /** The secret list cursors are sealed with (migration 038), as hex; a restore keeps it. */
  cursorKey(): string {
    return this.statements.get('SELECT cursor_key FROM store_identity').pluck().get() as string;
  }
}
