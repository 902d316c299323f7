import { EmbeddingModel, readEmbeddingModel } from '../embedding-model.binding';
import { SettingsRepository } from '../settings.repository';
import { SettingsStore } from '../settings.store';
import { SqliteDatabase } from '../sqlite.connection';

/** SettingsStore on SQLite: `store_identity` and the `settings` table. */
export class SqliteSettingsStore extends SettingsStore {
  private readonly settings: SettingsRepository;

  constructor(private readonly db: SqliteDatabase) {
    super();
    this.settings = new SettingsRepository(db);
  }

  async storeId(): Promise<string> {
    return this.settings.storeId();
  }

  async cursorKey(): Promise<Buffer> {
    return Buffer.from(this.settings.cursorKey(), 'hex');
  }

  async embeddingModel(): Promise<EmbeddingModel | undefined> {
    return readEmbeddingModel(this.db);
  }
}
