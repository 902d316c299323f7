import { canonicalModelId } from './embedding-model-id';
import { SettingsRepository } from './settings.repository';
import { SqliteDatabase } from './sqlite.connection';
import { VectorIndex } from './vector-index';

const MODEL_KEY = 'embedding_model';
const DIMENSION_KEY = 'embedding_dimension';

/** The database holds vectors of another model: searching them with this one would return noise. */
export class EmbeddingModelMismatch extends Error {
  constructor(databasePath: string, stored: string, storedDimension: number, configured: string, dimension: number) {
    super(
      `The database ${databasePath} holds embeddings of model "${stored}" (${storedDimension} dimensions), ` +
        `but the configured embedding model is "${configured}" (${dimension} dimensions). ` +
        `Configure "${stored}" again, or re-embed every memory with the new model: run \`engram reindex\` ` +
        `with the new model configured, then start again.`,
    );
  }
}

export interface EmbeddingModel {
  modelId: string;
  dimension: number;
}

/**
 * What to do with a database holding another model's vectors: `refuse` (the api: searching them would
 * return noise) or `keep-stored` (the worker and CLI: open it as is, so `engram reindex` can re-embed
 * and switch models).
 */
export type ModelMismatchPolicy = 'refuse' | 'keep-stored';

/**
 * Ties the database to one embedding model. A new database records the model; a database of the same
 * model opens as is; a database of another model is refused unless it holds no vectors yet.
 */
export function bindEmbeddingModel(
  db: SqliteDatabase,
  databasePath: string,
  model: EmbeddingModel,
  onMismatch: ModelMismatchPolicy = 'refuse',
): void {
  const settings = new SettingsRepository(db);
  const vectors = new VectorIndex(db);
  db.transaction(() => {
    const storedModel = canonicalModelId(settings.get(MODEL_KEY));
    const storedDimension = Number(settings.get(DIMENSION_KEY) ?? 0);
    const same = storedModel === model.modelId && storedDimension === model.dimension;
    if (storedModel !== undefined && !same) {
      const vectorCount = db.prepare('SELECT count(*) FROM memory_embeddings').pluck().get() as number;
      if (vectorCount > 0) {
        if (onMismatch === 'keep-stored') return;
        throw new EmbeddingModelMismatch(databasePath, storedModel, storedDimension, model.modelId, model.dimension);
      }
      vectors.dropAll();
    }
    settings.set(MODEL_KEY, model.modelId);
    settings.set(DIMENSION_KEY, String(model.dimension));
    vectors.create(model.dimension);
  }).immediate(); // write lock first: a read-then-write transaction would fail if another process wrote meanwhile
}

export function readEmbeddingModel(db: SqliteDatabase): EmbeddingModel | undefined {
  const settings = new SettingsRepository(db);
  const modelId = settings.get(MODEL_KEY);
  return modelId === undefined
    ? undefined
    : { modelId: canonicalModelId(modelId), dimension: Number(settings.get(DIMENSION_KEY)) };
}
