import { KEPT_PROPOSAL_SETS, ProposalItemRow, ProposalSetRow, toProposalSetRecord } from '../consolidation.sql';
import { ConsolidationStore, NewProposalSet, ProposalSetRecord } from '../consolidation.store';
import { lockKeyForTransaction, PostgresDatabase } from './postgres.database';

/** ConsolidationStore on PostgreSQL: an item is marked applied once, whichever replica applies it first. */
export class PostgresConsolidationStore extends ConsolidationStore {
  constructor(private readonly db: PostgresDatabase) {
    super();
  }

  /** One namespace's saves at a time, so racing saves cannot each trim without the others' sets. */
  async save(set: NewProposalSet, keep = KEPT_PROPOSAL_SETS): Promise<void> {
    await this.db.transaction(async (client) => {
      await lockKeyForTransaction(client, 'consolidation_sets', set.namespace);
      await client.query(
        `INSERT INTO consolidation_sets (id, namespace, job_id, created_at, settings, summary)
         VALUES ($1, $2, $3, $4, $5, $6)`,
        [set.id, set.namespace, set.jobId, set.createdAt, JSON.stringify(set.settings), JSON.stringify(set.summary)],
      );
      if (set.items.length > 0) {
        await client.query(
          `INSERT INTO consolidation_items (set_id, item_id, proposal)
           SELECT $1, item_id, proposal FROM unnest($2::integer[], $3::text[]) AS t(item_id, proposal)`,
          [set.id, set.items.map((item) => item.itemId), set.items.map((item) => JSON.stringify(item.proposal))],
        );
      }
      await client.query(
        `DELETE FROM consolidation_sets WHERE namespace = $1 AND seq NOT IN (
           SELECT seq FROM consolidation_sets WHERE namespace = $1 ORDER BY seq DESC LIMIT $2)`,
        [set.namespace, keep],
      );
    });
  }

  async find(namespace: string, id: string): Promise<ProposalSetRecord | undefined> {
    const [row] = await this.db.query<ProposalSetRow>(
      'SELECT id, namespace, job_id, created_at, settings, summary FROM consolidation_sets WHERE namespace = $1 AND id = $2',
      [namespace, id],
    );
    return row && this.withItems(row);
  }

  async latest(namespace: string): Promise<ProposalSetRecord | undefined> {
    const [row] = await this.db.query<ProposalSetRow>(
      `SELECT id, namespace, job_id, created_at, settings, summary FROM consolidation_sets WHERE namespace = $1
       ORDER BY seq DESC LIMIT 1`,
      [namespace],
    );
    return row && this.withItems(row);
  }

  async markApplied(
    namespace: string,
    setId: string,
    itemId: number,
    outcome: Record<string, unknown>,
    at: number,
  ): Promise<boolean> {
    const rows = await this.db.query(
      `UPDATE consolidation_items SET applied_at = $1, outcome = $2
       WHERE set_id = (SELECT id FROM consolidation_sets WHERE namespace = $3 AND id = $4)
         AND item_id = $5 AND applied_at IS NULL
       RETURNING item_id`,
      [at, JSON.stringify(outcome), namespace, setId, itemId],
    );
    return rows.length > 0;
  }

  private async withItems(row: ProposalSetRow): Promise<ProposalSetRecord> {
    const items = await this.db.query<ProposalItemRow>(
      'SELECT item_id, proposal, applied_at, outcome FROM consolidation_items WHERE set_id = $1 ORDER BY item_id',
      [row.id],
    );
    return toProposalSetRecord(row, items);
  }
}
