import { Injectable, Logger } from '@nestjs/common';
import { EmbeddingService } from '../embeddings/embedding.service';
import { STORE_WIDE } from '../events/engram-event';
import { EventBus } from '../events/event-bus';
import { JobContext, jobLockWait } from '../jobs/job-processor';
import { StoreLocks } from '../storage/locks/store-locks';
import { ReindexStaging } from './reindex-staging';
import { counted } from '../common/counted';

/** Memories embedded and staged per round: one embedding call series and one short write transaction. */
const BATCH = 256;
/** Catch-up rounds for memories written while staging, before giving up on a busy database. */
const MAX_SWITCH_ATTEMPTS = 5;
/** Why a reindex that has begun to switch refuses a cancel. */
const REINDEX_SWITCHING = 'the reindex is switching to the new vectors and must finish';

export interface ReindexOutcome {
  model: string;
  dimension: number;
  previous_model: string | null;
  vectors: number;
  embedded: number;
  resumed: boolean;
  duration_seconds: number;
  switch_transaction_ms: number;
}

/**
 * Re-embeds every live memory with this process's embedding model. Vectors are staged beside the live
 * ones (search keeps using the old ones), progress survives a crash, and the switch to the new vectors
 * and model happens in one transaction at the end.
 */
@Injectable()
export class ReindexService {
  private readonly logger = new Logger('Reindex');

  constructor(
    private readonly staging: ReindexStaging,
    private readonly embeddings: EmbeddingService,
    private readonly events: EventBus,
    private readonly locks: StoreLocks,
  ) {}

  /** One reindex at a time across every worker; a restore waits for it (and it for a restore). */
  reindex(job: JobContext): Promise<ReindexOutcome> {
    return this.locks.reindex(() => this.reembed(job), jobLockWait(job, 0));
  }

  private async reembed(job: JobContext): Promise<ReindexOutcome> {
    const started = Date.now();
    const { modelId: model, dimension } = this.embeddings;
    const previousModel = await this.staging.storedModel();
    const { resumed } = await this.staging.begin(model, dimension);
    let embedded = 0;
    for (let attempt = 0; attempt < MAX_SWITCH_ATTEMPTS; attempt++) {
      embedded += await this.embedPending(job);
      // The switch holds the store's write lock (SQLite) until it commits, so a cancel recorded then would
      // wait for it: from here a cancel is refused at once (409). A switch refused for memories written
      // meanwhile goes back to embed just those, still in this step: the staging is whole but for them and
      // the catch-up bounded (MAX_SWITCH_ATTEMPTS), and a cancel refused as "no longer" possible must not be
      // accepted a moment later. Entering it again on a later attempt changes nothing.
      await job.enterFinalStep(REINDEX_SWITCHING);
      await job.progress(99, 'switching to the new vectors');
      const outcome = await this.staging.switchToStaged();
      if (!outcome.switched) continue;
      const result: ReindexOutcome = {
        model,
        dimension,
        previous_model: previousModel ?? null,
        vectors: outcome.vectors,
        embedded,
        resumed,
        duration_seconds: (Date.now() - started) / 1000,
        switch_transaction_ms: outcome.transactionMs,
      };
      this.events.publish('reindex_completed', { ...result }, STORE_WIDE);
      this.logger.log({ msg: 'Reindex completed', ...result });
      await job.progress(100, 'done');
      return result;
    }
    throw new Error(
      `Memories kept changing during ${MAX_SWITCH_ATTEMPTS} switch attempts; the staged vectors are kept, run the reindex again`,
    );
  }

  /**
   * Embeds and stages every pending memory, batch by batch in id order after the last batch, checking for
   * cancellation between batches.
   */
  private async embedPending(job: JobContext): Promise<number> {
    let embedded = 0;
    const live = await this.staging.countLive();
    const alreadyStaged = live - (await this.staging.countPending());
    for (let afterId = 0; ;) {
      await job.throwIfCancelled();
      const batch = await this.staging.pending(afterId, BATCH);
      if (batch.length === 0) {
        // Done once a walk from the first memory finds none: one edited behind this walk is pending again.
        if (afterId === 0) return embedded;
        afterId = 0;
        continue;
      }
      afterId = batch[batch.length - 1].id;
      const vectors = await this.embeddings.embedMany(batch.map((memory) => memory.content));
      await this.staging.stage(
        batch.map((memory, i) => ({ memoryId: memory.id, contentHash: memory.contentHash, embedding: vectors[i] })),
      );
      embedded += batch.length;
      // Counted, not re-queried: counting pending memories is a scan of the whole table.
      const done = Math.min(live, alreadyStaged + embedded);
      await job.progress((done / Math.max(1, live)) * 98, `embedded ${done} of ${counted(live, 'memory', 'memories')}`);
    }
  }
}
