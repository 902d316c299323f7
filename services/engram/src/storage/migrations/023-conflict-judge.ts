import { Migration } from './migration';

/** The LLM judge's verdict on a proposed contradiction (JSON: verdict, model, reason), null without one. */
export const conflictJudgeMigration: Migration = {
  version: 23,
  name: 'conflict-judge',
  sql: `ALTER TABLE memory_conflicts ADD COLUMN judge TEXT;`,
};
