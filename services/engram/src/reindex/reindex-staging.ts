import type { SwitchOutcome } from '../storage/sqlite-file/reindex-switch';

/** A live memory still waiting for a staged vector of its current content. */
export interface PendingMemory {
  id: number;
  content: string;
  contentHash: string;
}

export interface StagedVector {
  memoryId: number;
  /** The content the vector was computed from: a later edit makes the memory pending again. */
  contentHash: string;
  embedding: Float32Array;
}

export type { SwitchOutcome };

/**
 * The reindex's storage port: vectors of the target model staged beside the live ones (search keeps
 * using the live ones), progress that survives a crash (the staged rows themselves), and one switch that
 * makes the staged vectors live. Adapters: SQLite (sqlite-reindex.staging.ts) and PostgreSQL
 * (postgres-reindex.staging.ts); ReindexService holds the rules and sees only this.
 */
export abstract class ReindexStaging {
  /** The model the live vectors belong to; undefined before one is bound. */
  abstract storedModel(): Promise<string | undefined>;
  /**
   * Starts staging for the model, or continues an interrupted run for the same model and dimension.
   * Vectors staged for another model are discarded.
   */
  abstract begin(model: string, dimension: number): Promise<{ resumed: boolean }>;
  /**
   * Live memories without a staged vector of their current content, in id order after `afterId` (0 for
   * the first): a walk reads on from the last batch instead of passing every staged memory again.
   */
  abstract pending(afterId: number, limit: number): Promise<PendingMemory[]>;
  abstract countPending(): Promise<number>;
  abstract countLive(): Promise<number>;
  /** One transaction per batch: a crash loses at most the batch being embedded. */
  abstract stage(vectors: readonly StagedVector[]): Promise<void>;
  /**
   * In one transaction: refuses (changing nothing) while any live memory lacks a staged vector of its
   * current content; otherwise the staged vectors become the live ones at the new dimension, the
   * settings name the new model, and the staging area is emptied.
   */
  abstract switchToStaged(): Promise<SwitchOutcome>;
}
