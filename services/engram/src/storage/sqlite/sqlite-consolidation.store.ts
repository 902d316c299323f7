import { KEPT_PROPOSAL_SETS, ProposalItemRow, ProposalSetRow, toProposalSetRecord } from '../consolidation.sql';
import { ConsolidationStore, NewProposalSet, ProposalSetRecord } from '../consolidation.store';
import { PreparedStatements } from '../prepared-statements';
import { SqliteDatabase } from '../sqlite.connection';

/** ConsolidationStore on SQLite. */
export class SqliteConsolidationStore extends ConsolidationStore {
  private readonly statements: PreparedStatements;

  constructor(private readonly db: SqliteDatabase) {
    super();
    this.statements = new PreparedStatements(db);
  }

  async save(set: NewProposalSet, keep = KEPT_PROPOSAL_SETS): Promise<void> {
    this.db.transaction(() => {
      this.statements
        .get(
          `INSERT INTO consolidation_sets (id, namespace, job_id, created_at, settings, summary)
           VALUES (?, ?, ?, ?, ?, ?)`,
        )
        .run(
          set.id,
          set.namespace,
          set.jobId,
          set.createdAt,
          JSON.stringify(set.settings),
          JSON.stringify(set.summary),
        );
      const item = this.statements.get('INSERT INTO consolidation_items (set_id, item_id, proposal) VALUES (?, ?, ?)');
      for (const { itemId, proposal } of set.items) item.run(set.id, itemId, JSON.stringify(proposal));
      this.statements
        .get(
          `DELETE FROM consolidation_sets WHERE namespace = ? AND seq NOT IN (
             SELECT seq FROM consolidation_sets WHERE namespace = ? ORDER BY seq DESC LIMIT ?)`,
        )
        .run(set.namespace, set.namespace, keep);
    })();
  }

  async find(namespace: string, id: string): Promise<ProposalSetRecord | undefined> {
    const row = this.statements
      .get('SELECT * FROM consolidation_sets WHERE namespace = ? AND id = ?')
      .get(namespace, id) as ProposalSetRow | undefined;
    return row && this.withItems(row);
  }

  async latest(namespace: string): Promise<ProposalSetRecord | undefined> {
    const row = this.statements
      .get('SELECT * FROM consolidation_sets WHERE namespace = ? ORDER BY seq DESC LIMIT 1')
      .get(namespace) as ProposalSetRow | undefined;
    return row && this.withItems(row);
  }

  async markApplied(
    namespace: string,
    setId: string,
    itemId: number,
    outcome: Record<string, unknown>,
    at: number,
  ): Promise<boolean> {
    const { changes } = this.statements
      .get(
        `UPDATE consolidation_items SET applied_at = ?, outcome = ?
         WHERE set_id = (SELECT id FROM consolidation_sets WHERE namespace = ? AND id = ?)
           AND item_id = ? AND applied_at IS NULL`,
      )
      .run(at, JSON.stringify(outcome), namespace, setId, itemId);
    return changes > 0;
  }

  private withItems(row: ProposalSetRow): ProposalSetRecord {
    const items = this.statements
      .get('SELECT item_id, proposal, applied_at, outcome FROM consolidation_items WHERE set_id = ? ORDER BY item_id')
      .all(row.id) as ProposalItemRow[];
    return toProposalSetRecord(row, items);
  }
}
