import { MemoryText } from '../storage/memory.record';
import { MemoryStore } from '../storage/memory.store';
import { textFeatures, TextFeatures } from './hybrid-relevance';
import { QueryFacts } from './relevance-signals';

/** A candidate's text and time, with what its text says to the query. */
export interface CandidateText extends MemoryText {
  features: TextFeatures;
}

/**
 * The texts of one search's candidates, each read and worked out once: the keyword hits' while the index
 * still searches (the serving thread is otherwise idle then), the rest once the pool is complete, and the
 * neighbours that join after. Only live memories of the namespace are read.
 */
export class CandidateTexts {
  private readonly texts = new Map<number, CandidateText>();

  constructor(
    private readonly memories: MemoryStore,
    private readonly namespace: string,
    private readonly facts: QueryFacts,
  ) {}

  /** Reads the ids not read yet; resolves with those of them that are live memories of the namespace. */
  async load(ids: readonly number[]): Promise<CandidateText[]> {
    const unread = ids.filter((id) => !this.texts.has(id));
    const read = (await this.memories.findLiveTexts(this.namespace, unread)).map((memory) => ({
      ...memory,
      features: textFeatures(memory.content, this.facts),
    }));
    for (const text of read) this.texts.set(text.id, text);
    return read;
  }

  get(id: number): CandidateText | undefined {
    return this.texts.get(id);
  }

  has(id: number): boolean {
    return this.texts.has(id);
  }
}
