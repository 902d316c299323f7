import { CancelRequest, EndUnended, isUnended, JobRecordStore, TakenJobs } from '../job-record.store';
import { jobNamespace, JobView } from '../../jobs/job.types';
import { PostgresDatabase, Queryable } from './postgres.database';

/** JobRecordStore on PostgreSQL (migrations 26, 28, 29, 30, 32, 35, 36), the same rows as on SQLite. */
export class PostgresJobRecordStore implements JobRecordStore {
  constructor(private readonly db: PostgresDatabase) {}

  async save(job: JobView, owner: string): Promise<void> {
    await write(this.db, job, owner);
  }

  async startUnlessCancelled(job: JobView): Promise<boolean> {
    const stored = await this.db.query(
      'UPDATE inline_jobs SET state = $1, view = $2 WHERE id = $3 AND NOT cancel_requested RETURNING id',
      [job.state, JSON.stringify(job), job.id],
    );
    return stored.length === 1;
  }

  /** Never refused as busy: a wait on the row is a wait of this call, not of the event loop. */
  async saveProgress(job: JobView): Promise<boolean> {
    await this.db.query("UPDATE inline_jobs SET view = $1 WHERE id = $2 AND state = 'active'", [
      JSON.stringify(job),
      job.id,
    ]);
    return true;
  }

  async requestCancel(id: string): Promise<CancelRequest | undefined> {
    const [requested] = await this.db.query<{ view: string }>(
      `UPDATE inline_jobs SET cancel_requested = true
         WHERE id = $1 AND state IN ('waiting', 'active') AND uncancellable IS NULL RETURNING view`,
      [id],
    );
    if (requested) return { job: JSON.parse(requested.view) as JobView, recorded: true };
    const [row] = await this.db.query<{ view: string; uncancellable: string | null }>(
      'SELECT view, uncancellable FROM inline_jobs WHERE id = $1',
      [id],
    );
    if (!row) return undefined;
    return { job: JSON.parse(row.view) as JobView, recorded: false, uncancellable: row.uncancellable ?? undefined };
  }

  async markUncancellable(id: string, reason: string): Promise<boolean> {
    const marked = await this.db.query(
      'UPDATE inline_jobs SET uncancellable = $1 WHERE id = $2 AND NOT cancel_requested RETURNING id',
      [reason, id],
    );
    return marked.length === 1;
  }

  async cancelsRequested(owner: string): Promise<string[]> {
    const rows = await this.db.query<{ id: string }>(
      `SELECT id FROM inline_jobs WHERE owner = $1 AND cancel_requested AND state IN ('waiting', 'active')`,
      [owner],
    );
    return rows.map((row) => row.id);
  }

  async all(): Promise<JobView[]> {
    const rows = await this.db.query<{ view: string }>('SELECT view FROM inline_jobs ORDER BY seq');
    return rows.map((row) => JSON.parse(row.view) as JobView);
  }

  /** Through the primary key, or the index of each namespace's jobs (migration 36). */
  async newest(limit: number, namespace?: string): Promise<JobView[]> {
    const rows =
      namespace === undefined
        ? await this.db.query<{ view: string }>('SELECT view FROM inline_jobs ORDER BY seq DESC LIMIT $1', [limit])
        : await this.db.query<{ view: string }>(
            'SELECT view FROM inline_jobs WHERE namespace = $1 ORDER BY seq DESC LIMIT $2',
            [namespace, limit],
          );
    return rows.map((row) => JSON.parse(row.view) as JobView);
  }

  async find(id: string): Promise<JobView | undefined> {
    const [row] = await this.db.query<{ view: string }>('SELECT view FROM inline_jobs WHERE id = $1', [id]);
    return row ? (JSON.parse(row.view) as JobView) : undefined;
  }

  async owners(): Promise<string[]> {
    const rows = await this.db.query<{ owner: string }>(
      'SELECT DISTINCT owner FROM inline_jobs WHERE owner IS NOT NULL',
    );
    return rows.map((row) => row.owner);
  }

  async takeOver(from: string | null, to: string, end: EndUnended): Promise<TakenJobs> {
    return this.db.transaction(async (client) => {
      // FOR UPDATE: a second api taking the same owner's jobs waits on these rows, then finds them no
      // longer that owner's (the condition is checked again on the committed rows) and takes none.
      const rows = await client.query<{ view: string; cancel_requested: boolean; end_unreported: boolean }>(
        `SELECT view, cancel_requested, end_unreported FROM inline_jobs
           WHERE owner IS NOT DISTINCT FROM $1 ORDER BY seq FOR UPDATE`,
        [from],
      );
      const taken: TakenJobs = { jobs: [], ended: [] };
      for (const row of rows) {
        const stored = JSON.parse(row.view) as JobView;
        const job = isUnended(stored) ? end(stored, row.cancel_requested) : stored;
        await write(client, job, to);
        taken.jobs.push(job);
        if (job !== stored || row.end_unreported) taken.ended.push(job);
      }
      return taken;
    });
  }

  async endAtStop(owner: string, end: EndUnended): Promise<JobView[]> {
    return this.db.transaction(async (client) => {
      // FOR UPDATE: a cancel recorded meanwhile waits, then finds the job ended (409), or comes first and is read.
      const rows = await client.query<{ view: string; cancel_requested: boolean }>(
        `SELECT view, cancel_requested FROM inline_jobs
           WHERE owner = $1 AND state IN ('waiting', 'active') ORDER BY seq FOR UPDATE`,
        [owner],
      );
      const ended = rows.map((row) => end(JSON.parse(row.view) as JobView, row.cancel_requested));
      for (const job of ended) {
        await client.query('UPDATE inline_jobs SET state = $1, view = $2, end_unreported = true WHERE id = $3', [
          job.state,
          JSON.stringify(job),
          job.id,
        ]);
      }
      return ended;
    });
  }

  async pruneEnded(namespace: string, keep: number): Promise<void> {
    await this.db.query(
      `DELETE FROM inline_jobs WHERE namespace = $1 AND state NOT IN ('waiting', 'active') AND NOT end_unreported
         AND seq < (
         SELECT seq FROM inline_jobs WHERE namespace = $1 AND state NOT IN ('waiting', 'active')
         ORDER BY seq DESC LIMIT 1 OFFSET $2)`,
      [namespace, keep - 1],
    );
  }
}

/**
 * A job's namespace never changes (it is in its data), so a new owner keeps the row under the same one. A write
 * is a live api's: any end it stores is reported by that api.
 */
function write(db: Queryable, job: JobView, owner: string): Promise<unknown> {
  return db.query(
    `INSERT INTO inline_jobs (id, namespace, state, view, owner) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (id) DO UPDATE SET state = excluded.state, view = excluded.view, owner = excluded.owner,
         end_unreported = false`,
    [job.id, jobNamespace(job.data), job.state, JSON.stringify(job), owner],
  );
}
