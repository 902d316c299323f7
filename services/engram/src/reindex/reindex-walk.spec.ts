import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EmbeddingService } from '../embeddings/embedding.service';
import { EventBus } from '../events/event-bus';
import { JobContext } from '../jobs/job-processor';
import { StoreLocks } from '../storage/locks/store-locks';
import { PendingMemory, ReindexStaging, StagedVector, SwitchOutcome } from './reindex-staging';
import { ReindexService } from './reindex.service';

const MEMORIES = 2_000;

/**
 * Staging over memories held in id order, counting the memories each `pending` call passes over as a
 * database walks them (from the first id after the one given, until it has `limit` pending ones).
 */
class CountingStaging extends ReindexStaging {
  /** Content hash by memory id; a staged vector counts for the hash it was computed from. */
  readonly contents = new Map(Array.from({ length: MEMORIES }, (_, i) => [i + 1, `v1-${i + 1}`]));
  readonly staged = new Map<number, string>();
  memoriesRead = 0;
  switches = 0;
  /** Called after each batch is staged: a writer editing memories while the reindex runs. */
  onStaged: (batches: number) => void = () => undefined;
  private batches = 0;

  async storedModel() {
    return 'old-model';
  }
  async begin() {
    return { resumed: false };
  }
  async pending(afterId: number, limit: number): Promise<PendingMemory[]> {
    const found: PendingMemory[] = [];
    for (const [id, hash] of this.contents) {
      if (id <= afterId) continue;
      this.memoriesRead += 1;
      if (this.staged.get(id) !== hash) found.push({ id, content: `memory ${id}`, contentHash: hash });
      if (found.length === limit) break;
    }
    return found;
  }
  async countPending() {
    return [...this.contents].filter(([id, hash]) => this.staged.get(id) !== hash).length;
  }
  async countLive() {
    return this.contents.size;
  }
  async stage(vectors: readonly StagedVector[]) {
    for (const vector of vectors) this.staged.set(vector.memoryId, vector.contentHash);
    this.onStaged(++this.batches);
  }
  async switchToStaged(): Promise<SwitchOutcome> {
    this.switches += 1;
    const pending = await this.countPending();
    return pending > 0 ? { switched: false, pending } : { switched: true, vectors: MEMORIES, transactionMs: 0 };
  }
}

function reindexWith(staging: ReindexStaging): Promise<unknown> {
  const embeddings = {
    modelId: 'new-model',
    dimension: 4,
    embedMany: async (texts: string[]) => texts.map(() => new Float32Array(4)),
  } as unknown as EmbeddingService;
  const events = { publish: () => undefined } as unknown as EventBus;
  const locks = { reindex: <T>(work: () => Promise<T>) => work() } as unknown as StoreLocks;
  const job: JobContext = {
    jobId: 'reindex-walk',
    progress: async () => undefined,
    setDetails: async () => undefined,
    throwIfCancelled: async () => undefined,
    enterFinalStep: async () => undefined,
  };
  return new ReindexService(staging, embeddings, events, locks).reindex(job);
}

describe('the reindex walk over pending memories', () => {
  it('reads on after the last batch: each memory once per walk, not every staged one again per batch', async () => {
    const staging = new CountingStaging();
    await reindexWith(staging);
    // One walk staging them all, then one from the first id that finds none left.
    assert.equal(staging.memoriesRead, 2 * MEMORIES);
    assert.equal(staging.staged.size, MEMORIES);
    assert.equal(staging.switches, 1);
  });

  it('embeds a memory edited behind the walk before it switches, without a refused switch', async () => {
    const staging = new CountingStaging();
    staging.onStaged = (batches) => {
      if (batches === 3) staging.contents.set(1, 'v2-1');
    };
    await reindexWith(staging);
    assert.equal(staging.staged.get(1), 'v2-1');
    assert.equal(staging.switches, 1);
  });
});
