import { MemoryFilter } from '../memory-filter.sql';
import { SearchRepository } from '../search.repository';
import { KeywordHit, ScoredId, SearchStore } from '../search.store';
import { VectorIndex } from '../vector-index';

/** SearchStore on SQLite: FTS5 BM25 and the sqlite-vec/Hamming vector path of SearchRepository. */
export class SqliteSearchStore extends SearchStore {
  constructor(
    private readonly search: SearchRepository,
    private readonly vectors: VectorIndex,
  ) {
    super();
  }

  async keywordCandidates(terms: readonly string[], filter: MemoryFilter, k: number): Promise<KeywordHit[]> {
    return this.search.keywordCandidates(terms, filter, k);
  }

  vectorCandidates(vector: Float32Array, filter: MemoryFilter, k: number): Promise<ScoredId[]> {
    return this.search.vectorCandidates(vector, filter, k);
  }

  vectorSearchRunsAside(): boolean {
    return this.search.vectorSearchRunsAside();
  }

  async embeddingsOf(ids: readonly number[]): Promise<Map<number, Float32Array>> {
    const found = new Map<number, Float32Array>();
    for (const id of ids) {
      const vector = this.vectors.embeddingOf(id);
      if (vector) found.set(id, vector);
    }
    return found;
  }

  async distances(ids: readonly number[], vector: Float32Array): Promise<ScoredId[]> {
    return this.search.distances(ids, vector);
  }

  async adjacent(ids: readonly number[], filter: MemoryFilter): Promise<Map<number, number[]>> {
    return this.search.adjacent(ids, filter);
  }
}
