import { Migration } from './migration';

/**
 * Numbers a tenant sees count only its own rows: a conflict's number within its namespace, a memory
 * file's version within that file. Row ids count the whole store, so their gaps told a namespace how
 * much happened in the others. Existing rows are numbered in id order.
 */
export const namespaceOwnNumbersMigration: Migration = {
  version: 27,
  name: 'namespace-own-numbers',
  sql: `
    ALTER TABLE memory_conflicts ADD COLUMN number INTEGER;
    UPDATE memory_conflicts SET number = ranked.n
      FROM (SELECT id, row_number() OVER (PARTITION BY namespace ORDER BY id) AS n FROM memory_conflicts) AS ranked
     WHERE ranked.id = memory_conflicts.id;
    CREATE UNIQUE INDEX memory_conflicts_number ON memory_conflicts (namespace, number);

    ALTER TABLE agent_file_versions ADD COLUMN version INTEGER;
    UPDATE agent_file_versions SET version = ranked.n
      FROM (SELECT id, row_number() OVER (PARTITION BY namespace, path ORDER BY id) AS n FROM agent_file_versions) AS ranked
     WHERE ranked.id = agent_file_versions.id;
    CREATE UNIQUE INDEX agent_file_versions_version ON agent_file_versions (namespace, path, version);
  `,
};
