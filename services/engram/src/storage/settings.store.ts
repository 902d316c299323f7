import { EmbeddingModel } from './embedding-model.binding';

/** The storage port for what a store knows about itself: its id, its cursor key and the model its vectors come from. */
export abstract class SettingsStore {
  /** The random id the store was given at creation; a restore keeps it. */
  abstract storeId(): Promise<string>;
  /** The secret list cursors are sealed with (32 bytes), made with the store and kept by restores. */
  abstract cursorKey(): Promise<Buffer>;
  /** The embedding model the stored vectors belong to; undefined before one is bound. */
  abstract embeddingModel(): Promise<EmbeddingModel | undefined>;
}
