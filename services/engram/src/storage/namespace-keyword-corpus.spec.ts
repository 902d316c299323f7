import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { makeTempDir } from '../testing/test-app';
import { applyMigrations } from './migrator';
import { MIGRATIONS } from './migrations';
import { readVarints } from './sqlite-keyword-ranking';

interface CorpusRow {
  namespace: string;
  documents: number;
  tokens: number;
}

/** The corpus as migration 026's triggers keep it, without namespaces left empty. */
function kept(db: Database.Database): CorpusRow[] {
  return db
    .prepare('SELECT namespace, documents, tokens FROM memories_keyword_corpus WHERE documents > 0 ORDER BY namespace')
    .all() as CorpusRow[];
}

/** The corpus counted afresh: every live memory's length as FTS5 recorded it, decoded here. */
function recounted(db: Database.Database): CorpusRow[] {
  const rows = db
    .prepare(
      `SELECT m.namespace AS namespace, d.sz AS sz FROM memories m JOIN memories_fts_docsize d ON d.id = m.id
       WHERE m.deleted_at IS NULL`,
    )
    .all() as { namespace: string; sz: Buffer }[];
  const totals = new Map<string, CorpusRow>();
  for (const { namespace, sz } of rows) {
    const row = totals.get(namespace) ?? { namespace, documents: 0, tokens: 0 };
    row.documents += 1;
    row.tokens += readVarints(sz, 1)[0];
    totals.set(namespace, row);
  }
  return [...totals.values()].sort((a, b) => a.namespace.localeCompare(b.namespace));
}

const words = (count: number) => Array.from({ length: count }, (_, i) => `w${i % 97}`).join(' ');

describe("each namespace's keyword corpus (migration 026, real SQLite)", () => {
  const dir = makeTempDir();
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('is counted for a store that had memories before the migration', () => {
    const db = new Database(join(dir, 'upgraded.db'));
    applyMigrations(
      db,
      MIGRATIONS.filter((migration) => migration.version < 26),
    );
    const insert = db.prepare(
      `INSERT INTO memories (namespace, content_hash, content, memory_type, created_at, updated_at, deleted_at)
       VALUES (?, ?, ?, 'note', 1, 1, ?)`,
    );
    insert.run('default', 'a', 'one two three', null);
    insert.run('default', 'b', words(200), null);
    insert.run('default', 'c', 'gone for good', 5);
    insert.run('team', 'd', 'a single memory here', null);
    applyMigrations(db, MIGRATIONS);
    assert.deepEqual(kept(db), [
      { namespace: 'default', documents: 2, tokens: 203 },
      { namespace: 'team', documents: 1, tokens: 4 },
    ]);
    db.close();
  });

  it('follows inserts, edits, deletions, restores and moves exactly, lengths of one to three varint bytes', () => {
    const db = new Database(join(dir, 'kept.db'));
    applyMigrations(db, MIGRATIONS);
    const insert = db.prepare(
      `INSERT INTO memories (namespace, content_hash, content, memory_type, created_at, updated_at)
       VALUES (?, ?, ?, 'note', 1, 1)`,
    );
    const namespaces = ['default', 'team', 'tiny'];
    const lengths = [1, 5, 127, 128, 300, 16_383, 16_384, 20_000];
    let seed = 7;
    const random = (n: number) => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed % n;
    };
    const ids: number[] = [];
    for (let step = 0; step < 200; step++) {
      const action = ids.length === 0 ? 0 : random(6);
      const id = ids[random(Math.max(ids.length, 1))];
      const text = `${words(lengths[random(lengths.length)])} step${step}`;
      if (action === 0) {
        ids.push(Number(insert.run(namespaces[random(3)], `h${step}`, text).lastInsertRowid));
      } else if (action === 1) {
        db.prepare('UPDATE memories SET content = ? WHERE id = ?').run(text, id);
      } else if (action === 2) {
        db.prepare('UPDATE memories SET deleted_at = 9 WHERE id = ? AND deleted_at IS NULL').run(id);
      } else if (action === 3) {
        db.prepare('UPDATE memories SET deleted_at = NULL WHERE id = ?').run(id);
      } else if (action === 4) {
        db.prepare('DELETE FROM memories WHERE id = ?').run(id);
        ids.splice(ids.indexOf(id), 1);
      } else {
        db.prepare('UPDATE memories SET namespace = ? WHERE id = ?').run(namespaces[random(3)], id);
      }
      assert.deepEqual(kept(db), recounted(db), `after step ${step} (action ${action})`);
    }
    assert.ok(recounted(db).length > 1, 'the run left memories in more than one namespace');
    db.close();
  });
});
