import { CancelRequest, EndUnended, isUnended, JobRecordStore, TakenJobs } from '../job-record.store';
import { jobNamespace, JobView } from '../../jobs/job.types';
import { PreparedStatements } from '../prepared-statements';
import { SqliteDatabase } from '../sqlite.connection';
import { withoutLockWait } from './without-lock-wait';

/**
 * JobRecordStore on SQLite (migrations 034, 036, 037, 038, 040, 042, 043): one row per job, the view as JSON, its
 * owner, its namespace, whether its cancel was requested and why it can no longer be, whether its end is still to
 * be reported, in the order accepted.
 */
export class SqliteJobRecordStore implements JobRecordStore {
  private readonly statements: PreparedStatements;

  constructor(private readonly db: SqliteDatabase) {
    this.statements = new PreparedStatements(db);
  }

  async save(job: JobView, owner: string): Promise<void> {
    this.write(job, owner);
  }

  async startUnlessCancelled(job: JobView): Promise<boolean> {
    const stored = this.statements
      .get('UPDATE inline_jobs SET state = ?, view = ? WHERE id = ? AND cancel_requested = 0')
      .run(job.state, JSON.stringify(job), job.id);
    return stored.changes === 1;
  }

  /** Without waiting for the file (withoutLockWait): false when another connection holds it. */
  async saveProgress(job: JobView): Promise<boolean> {
    const update = "UPDATE inline_jobs SET view = ? WHERE id = ? AND state = 'active'";
    return withoutLockWait(this.statements, () => this.statements.get(update).run(JSON.stringify(job), job.id)).done;
  }

  async requestCancel(id: string): Promise<CancelRequest | undefined> {
    // Read first: a job past cancelling is refused without a write, which would wait for its step's lock.
    const before = this.cancelState(id);
    if (!before || !isUnended(before.job) || before.uncancellable) return before;
    const requested = this.statements
      .get(
        `UPDATE inline_jobs SET cancel_requested = 1
           WHERE id = ? AND state IN ('waiting', 'active') AND uncancellable IS NULL RETURNING view`,
      )
      .pluck()
      .get(id) as string | undefined;
    return requested === undefined ? this.cancelState(id) : { job: JSON.parse(requested) as JobView, recorded: true };
  }

  async markUncancellable(id: string, reason: string): Promise<boolean> {
    const marked = this.statements
      .get('UPDATE inline_jobs SET uncancellable = ? WHERE id = ? AND cancel_requested = 0')
      .run(reason, id);
    return marked.changes === 1;
  }

  async cancelsRequested(owner: string): Promise<string[]> {
    return this.statements
      .get(`SELECT id FROM inline_jobs WHERE owner = ? AND cancel_requested = 1 AND state IN ('waiting', 'active')`)
      .pluck()
      .all(owner) as string[];
  }

  async all(): Promise<JobView[]> {
    const views = this.statements.get('SELECT view FROM inline_jobs ORDER BY seq').pluck().all() as string[];
    return views.map((view) => JSON.parse(view) as JobView);
  }

  /** Through the primary key, or the index of each namespace's jobs (migration 043). */
  async newest(limit: number, namespace?: string): Promise<JobView[]> {
    const views = (
      namespace === undefined
        ? this.statements.get('SELECT view FROM inline_jobs ORDER BY seq DESC LIMIT ?').pluck().all(limit)
        : this.statements
            .get('SELECT view FROM inline_jobs WHERE namespace = ? ORDER BY seq DESC LIMIT ?')
            .pluck()
            .all(namespace, limit)
    ) as string[];
    return views.map((view) => JSON.parse(view) as JobView);
  }

  async find(id: string): Promise<JobView | undefined> {
    const view = this.statements.get('SELECT view FROM inline_jobs WHERE id = ?').pluck().get(id) as string | undefined;
    return view === undefined ? undefined : (JSON.parse(view) as JobView);
  }

  async owners(): Promise<string[]> {
    return this.statements
      .get('SELECT DISTINCT owner FROM inline_jobs WHERE owner IS NOT NULL')
      .pluck()
      .all() as string[];
  }

  async takeOver(from: string | null, to: string, end: EndUnended): Promise<TakenJobs> {
    // Immediate: a second api taking the same owner's jobs waits for this one, then finds none left.
    return this.db
      .transaction(() => {
        const rows = this.statements
          .get('SELECT view, cancel_requested, end_unreported FROM inline_jobs WHERE owner IS ? ORDER BY seq')
          .all(from) as { view: string; cancel_requested: number; end_unreported: number }[];
        const taken: TakenJobs = { jobs: [], ended: [] };
        for (const row of rows) {
          const stored = JSON.parse(row.view) as JobView;
          const job = isUnended(stored) ? end(stored, row.cancel_requested === 1) : stored;
          this.write(job, to);
          taken.jobs.push(job);
          if (job !== stored || row.end_unreported === 1) taken.ended.push(job);
        }
        return taken;
      })
      .immediate();
  }

  async endAtStop(owner: string, end: EndUnended): Promise<JobView[]> {
    return this.db
      .transaction(() => {
        const rows = this.statements
          .get(
            `SELECT view, cancel_requested FROM inline_jobs
               WHERE owner = ? AND state IN ('waiting', 'active') ORDER BY seq`,
          )
          .all(owner) as { view: string; cancel_requested: number }[];
        const ended = rows.map((row) => end(JSON.parse(row.view) as JobView, row.cancel_requested === 1));
        for (const job of ended) {
          this.statements
            .get('UPDATE inline_jobs SET state = ?, view = ?, end_unreported = 1 WHERE id = ?')
            .run(job.state, JSON.stringify(job), job.id);
        }
        return ended;
      })
      .immediate();
  }

  async pruneEnded(namespace: string, keep: number): Promise<void> {
    this.statements
      .get(
        `DELETE FROM inline_jobs WHERE namespace = @namespace AND state NOT IN ('waiting', 'active')
           AND end_unreported = 0 AND seq < (
           SELECT seq FROM inline_jobs WHERE namespace = @namespace AND state NOT IN ('waiting', 'active')
           ORDER BY seq DESC LIMIT 1 OFFSET @newerKept)`,
      )
      .run({ namespace, newerKept: keep - 1 });
  }

  private cancelState(id: string): CancelRequest | undefined {
    const row = this.statements.get('SELECT view, uncancellable FROM inline_jobs WHERE id = ?').get(id) as
      { view: string; uncancellable: string | null } | undefined;
    if (!row) return undefined;
    return { job: JSON.parse(row.view) as JobView, recorded: false, uncancellable: row.uncancellable ?? undefined };
  }

  /**
   * A job's namespace never changes (it is in its data), so a new owner keeps the row under the same one. A
   * write is a live api's: any end it stores is reported by that api.
   */
  private write(job: JobView, owner: string): void {
    this.statements
      .get(
        `INSERT INTO inline_jobs (id, namespace, state, view, owner) VALUES (?, ?, ?, ?, ?)
           ON CONFLICT (id) DO UPDATE SET state = excluded.state, view = excluded.view, owner = excluded.owner,
             end_unreported = 0`,
      )
      .run(job.id, jobNamespace(job.data), job.state, JSON.stringify(job), owner);
  }
}
