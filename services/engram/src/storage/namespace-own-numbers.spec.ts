import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { postgresBeforeMigration } from '../testing/postgres-before-migration';
import { startTestPostgres, TestPostgres } from '../testing/postgres-test-server';
import { makeTempDir } from '../testing/test-app';
import { applyMigrations } from './migrator';
import { MIGRATIONS } from './migrations';
import { applyPostgresMigrations } from './postgres/postgres.migrations';

/**
 * Rows written before the upgrade, interleaved across namespaces and files as a shared store has them:
 * three memories, conflicts in two namespaces, versions of two files in two namespaces.
 */
const MEMORIES = [
  [1, 'default', 'a'],
  [2, 'default', 'b'],
  [3, 'team', 'c'],
  [4, 'team', 'd'],
  [5, 'default', 'e'],
] as const;
const CONFLICTS = [
  ['default', 1, 2],
  ['team', 3, 4],
  ['default', 1, 5],
  ['default', 2, 5],
] as const;
const VERSIONS = [
  ['default', 'user.md'],
  ['team', 'user.md'],
  ['default', 'notes.md'],
  ['default', 'user.md'],
  ['team', 'user.md'],
  ['default', 'user.md'],
] as const;
/** Numbers the upgrade must give them, in the order written: each namespace and each file counts its own. */
const CONFLICT_NUMBERS = [1, 1, 2, 3];
const VERSION_NUMBERS = [1, 1, 1, 2, 2, 3];

describe('namespace-own numbers on upgrade', () => {
  it('SQLite numbers existing conflicts per namespace and file versions per file, in id order', () => {
    const dir = makeTempDir();
    try {
      const db = new Database(join(dir, 'old.db'));
      applyMigrations(
        db,
        MIGRATIONS.filter((migration) => migration.version < 27),
      );
      for (const [id, namespace, hash] of MEMORIES) {
        db.prepare(
          `INSERT INTO memories (id, namespace, content_hash, content, memory_type, created_at, updated_at)
           VALUES (?, ?, ?, ?, 'note', 0, 0)`,
        ).run(id, namespace, hash, hash);
      }
      for (const [namespace, first, second] of CONFLICTS) {
        db.prepare(
          `INSERT INTO memory_conflicts (namespace, first_id, second_id, score, evidence, status, created_at)
           VALUES (?, ?, ?, 0.5, '[]', 'open', 0)`,
        ).run(namespace, first, second);
      }
      for (const [namespace, path] of VERSIONS) {
        db.prepare(
          `INSERT INTO agent_file_versions (namespace, path, at, actor, kind, size) VALUES (?, ?, 0, 'agent', 'updated', 1)`,
        ).run(namespace, path);
      }
      applyMigrations(db, MIGRATIONS);
      assert.deepEqual(db.prepare('SELECT number FROM memory_conflicts ORDER BY id').pluck().all(), CONFLICT_NUMBERS);
      assert.deepEqual(
        db.prepare('SELECT version FROM agent_file_versions ORDER BY id').pluck().all(),
        VERSION_NUMBERS,
      );
      db.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  describe('PostgreSQL', () => {
    let server: TestPostgres;
    before(async () => {
      server = await startTestPostgres();
    });
    after(() => server.close());

    it('numbers existing conflicts per namespace and file versions per file, in id order', async () => {
      const db = await postgresBeforeMigration(server.url, 15);
      try {
        for (const [id, namespace, hash] of MEMORIES) {
          await db.query(
            `INSERT INTO memories (id, namespace, content_hash, content, memory_type, created_at, updated_at)
             OVERRIDING SYSTEM VALUE VALUES ($1, $2, $3, $3, 'note', 0, 0)`,
            [id, namespace, hash],
          );
        }
        for (const [namespace, first, second] of CONFLICTS) {
          await db.query(
            `INSERT INTO memory_conflicts (namespace, first_id, second_id, score, evidence, status, created_at)
             VALUES ($1, $2, $3, 0.5, '[]', 'open', 0)`,
            [namespace, first, second],
          );
        }
        for (const [namespace, path] of VERSIONS) {
          await db.query(
            `INSERT INTO agent_file_versions (namespace, path, at, actor, kind, size) VALUES ($1, $2, 0, 'agent', 'updated', 1)`,
            [namespace, path],
          );
        }
        await applyPostgresMigrations(db);
        const numbers = async (sql: string) => (await db.query<{ n: string }>(sql)).map((row) => Number(row.n));
        assert.deepEqual(await numbers('SELECT number AS n FROM memory_conflicts ORDER BY id'), CONFLICT_NUMBERS);
        assert.deepEqual(await numbers('SELECT version AS n FROM agent_file_versions ORDER BY id'), VERSION_NUMBERS);
      } finally {
        await db.close();
      }
    });
  });
});
