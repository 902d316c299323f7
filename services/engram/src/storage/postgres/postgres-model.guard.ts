import { EmbeddingUnavailable } from '../../common/domain-errors';
import { Queryable } from './postgres.database';

/**
 * Refuses to mix models, as VectorIndex.assertModel does on SQLite: another replica or worker may have
 * reindexed the database to a new model while this process still embeds with the old one (it must
 * restart with the new model). Checked in the transaction that writes vectors, and before a search.
 */
export class PostgresModelGuard {
  /** `expected`: the model this process embeds with; undefined for processes that write no vectors. */
  constructor(private readonly expected: string | undefined) {}

  async check(client: Queryable): Promise<void> {
    if (this.expected === undefined) return;
    const [row] = await client.query<{ value: string }>("SELECT value FROM settings WHERE key = 'embedding_model'");
    if (row !== undefined && row.value !== this.expected) {
      throw new EmbeddingUnavailable(
        `The database now holds vectors of ${row.value} (reindexed by another process) but this process embeds ` +
          `with ${this.expected}: restart it with the new model`,
      );
    }
  }
}
