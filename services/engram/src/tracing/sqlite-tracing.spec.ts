import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { summarize } from './sqlite-tracing';

describe('SQLite statement summaries for spans', () => {
  it('keeps the operation and the first table, never the rest of the statement', () => {
    const cases: [string, string][] = [
      ['SELECT id, content FROM memories WHERE namespace = ? AND content_hash = ?', 'SELECT memories'],
      ['INSERT INTO memory_tags (memory_id, tag) VALUES (?, ?)', 'INSERT memory_tags'],
      ['  update "memories" SET deleted_at = ? WHERE id = ?', 'UPDATE memories'],
      ['DELETE FROM memory_embeddings WHERE memory_id = ?', 'DELETE memory_embeddings'],
      ['CREATE TABLE IF NOT EXISTS settings (key TEXT PRIMARY KEY)', 'CREATE settings'],
      ['BEGIN IMMEDIATE', 'BEGIN'],
    ];
    for (const [sql, text] of cases) {
      const summary = summarize(sql);
      assert.equal(summary.text, text, sql);
      assert.equal(summary.attributes['db.query.summary'], text);
      assert.equal(summary.attributes['db.system.name'], 'sqlite');
      assert.ok(!JSON.stringify(summary).includes('content_hash'), 'no column, value or condition');
    }
  });
});
