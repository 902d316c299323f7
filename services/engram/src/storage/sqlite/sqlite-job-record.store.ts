import { JobRecordStore } from '../job-record.store';
import { JobView } from '../../jobs/job.types';
import { PreparedStatements } from '../prepared-statements';
import { SqliteDatabase } from '../sqlite.connection';

/** JobRecordStore on SQLite (migration 034): one row per job, the view as JSON, in the order accepted. */
export class SqliteJobRecordStore implements JobRecordStore {
  private readonly statements: PreparedStatements;

  constructor(db: SqliteDatabase) {
    this.statements = new PreparedStatements(db);
  }

  async save(job: JobView): Promise<void> {
    this.statements
      .get(
        `INSERT INTO inline_jobs (id, state, view) VALUES (?, ?, ?)
           ON CONFLICT (id) DO UPDATE SET state = excluded.state, view = excluded.view`,
      )
      .run(job.id, job.state, JSON.stringify(job));
  }

  async recent(limit: number): Promise<JobView[]> {
    const views = this.statements
      .get('SELECT view FROM inline_jobs ORDER BY seq DESC LIMIT ?')
      .pluck()
      .all(limit) as string[];
    return views.reverse().map((view) => JSON.parse(view) as JobView);
  }

  async pruneEnded(keep: number): Promise<void> {
    this.statements
      .get(
        `DELETE FROM inline_jobs WHERE state NOT IN ('waiting', 'active') AND seq < (
           SELECT seq FROM inline_jobs WHERE state NOT IN ('waiting', 'active') ORDER BY seq DESC LIMIT 1 OFFSET ?)`,
      )
      .run(keep - 1);
  }
}
