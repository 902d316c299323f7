import { canonicalModelId } from '../embedding-model-id';
import { EmbeddingModel } from '../embedding-model.binding';
import { SettingsStore } from '../settings.store';
import { PostgresDatabase } from './postgres.database';

/** SettingsStore on PostgreSQL: `store_identity` and the `settings` table, as on SQLite. */
export class PostgresSettingsStore extends SettingsStore {
  constructor(private readonly db: PostgresDatabase) {
    super();
  }

  async storeId(): Promise<string> {
    const [row] = await this.db.query<{ store_id: string }>('SELECT store_id FROM store_identity');
    return row.store_id;
  }

  async cursorKey(): Promise<Buffer> {
    const [row] = await this.db.query<{ cursor_key: string }>('SELECT cursor_key FROM store_identity');
    return Buffer.from(row.cursor_key, 'hex');
  }

  async embeddingModel(): Promise<EmbeddingModel | undefined> {
    const rows = await this.db.query<{ key: string; value: string }>(
      "SELECT key, value FROM settings WHERE key IN ('embedding_model', 'embedding_dimension')",
    );
    const value = (key: string) => rows.find((row) => row.key === key)?.value;
    const modelId = value('embedding_model');
    return modelId === undefined
      ? undefined
      : { modelId: canonicalModelId(modelId), dimension: Number(value('embedding_dimension')) };
  }
}
