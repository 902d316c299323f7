import { EmbeddingModel } from './embedding-model.binding';

/** The storage port for what a store knows about itself: its id and the model its vectors come from. */
export abstract class SettingsStore {
  /** The random id the store was given at creation; a restore keeps it. */
  abstract storeId(): Promise<string>;
  /** The embedding model the stored vectors belong to; undefined before one is bound. */
  abstract embeddingModel(): Promise<EmbeddingModel | undefined>;
}
