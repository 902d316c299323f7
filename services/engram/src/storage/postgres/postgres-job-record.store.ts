import { JobRecordStore } from '../job-record.store';
import { JobView } from '../../jobs/job.types';
import { PostgresDatabase } from './postgres.database';

/** JobRecordStore on PostgreSQL (migration 26), the same rows as on SQLite. */
export class PostgresJobRecordStore implements JobRecordStore {
  constructor(private readonly db: PostgresDatabase) {}

  async save(job: JobView): Promise<void> {
    await this.db.query(
      `INSERT INTO inline_jobs (id, state, view) VALUES ($1, $2, $3)
         ON CONFLICT (id) DO UPDATE SET state = excluded.state, view = excluded.view`,
      [job.id, job.state, JSON.stringify(job)],
    );
  }

  async recent(limit: number): Promise<JobView[]> {
    const rows = await this.db.query<{ view: string }>('SELECT view FROM inline_jobs ORDER BY seq DESC LIMIT $1', [
      limit,
    ]);
    return rows.reverse().map((row) => JSON.parse(row.view) as JobView);
  }

  async pruneEnded(keep: number): Promise<void> {
    await this.db.query(
      `DELETE FROM inline_jobs WHERE state NOT IN ('waiting', 'active') AND seq < (
         SELECT seq FROM inline_jobs WHERE state NOT IN ('waiting', 'active') ORDER BY seq DESC LIMIT 1 OFFSET $1)`,
      [keep - 1],
    );
  }
}
