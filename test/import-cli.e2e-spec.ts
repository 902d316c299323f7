import Database from 'better-sqlite3';
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runEngram, serviceHelper } from './engram-cli';
import { inheritedEnv, tempDir } from './process-harness';

const { startOpenAiEmbeddingsTestDouble } = serviceHelper('testing/openai-embeddings.test-double.js');
const { chatGptExport, zipOf } = serviceHelper('testing/import-fixtures.js');
const { openSqliteDatabase } = serviceHelper('storage/sqlite.connection.js');

describe('engram import (CLI, a real process on a real SQLite file)', () => {
  let dir: string;
  let model: any;
  let env: Record<string, string>;

  const engramImport = (args: string[]) => runEngram(['import', ...args], env, dir);

  before(async () => {
    dir = tempDir();
    model = await startOpenAiEmbeddingsTestDouble({ dimension: 16, model: 'cli-import-model' });
    env = {
      ...inheritedEnv(),
      HOME: dir,
      MCP_MEMORY_SQLITE_PATH: join(dir, 'engram.db'),
      ENGRAM_EMBEDDING_PROVIDER: 'openai',
      MCP_EXTERNAL_EMBEDDING_URL: model.url,
      MCP_EXTERNAL_EMBEDDING_MODEL: model.model,
    };
    openSqliteDatabase(env.MCP_MEMORY_SQLITE_PATH, {}).close(); // only servers create a database
    const conversations = JSON.stringify(chatGptExport(30));
    writeFileSync(
      join(dir, 'export.zip'),
      zipOf([
        { name: 'conversations.json', data: conversations },
        { name: 'chat.html', data: '' },
      ]),
    );
  });
  after(async () => {
    await model?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('imports with progress on stderr and a summary line on stdout (JSON with --json); a second run stores nothing', async () => {
    const dry = await engramImport(['auto', 'export.zip', '--dry-run', '--json']);
    assert.equal(dry.code, 0, dry.stderr);
    assert.deepEqual(
      [JSON.parse(dry.stdout).dry_run, JSON.parse(dry.stdout).stored, JSON.parse(dry.stdout).items_read],
      [true, 0, 60],
    );
    const first = await engramImport(['chatgpt', 'export.zip']);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stderr, /stored 60 of 60 memories/);
    assert.match(
      first.stdout,
      /^stored 60 of 60 memories from export\.zip \(ChatGPT[^)]*\); 0 duplicates, 0 failed, \d+\.\d s\n$/,
    );
    const second = JSON.parse((await engramImport(['chatgpt', 'export.zip', '--json'])).stdout);
    assert.deepEqual(
      [second.source, second.documents, second.stored, second.duplicates, second.failed],
      ['chatgpt', 30, 0, 60, 0],
    );
  });

  it('counts one note as people write it: 1 memory, then 1 duplicate on a second run', async () => {
    writeFileSync(join(dir, 'first-note.md'), '# First\n\nThe first note of a new user.');
    const first = await engramImport(['markdown', 'first-note.md']);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /^stored 1 of 1 memory from first-note\.md \([^)]*\); 0 duplicates, 0 failed, /);
    const again = await engramImport(['markdown', 'first-note.md']);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /^stored 0 of 1 memory from first-note\.md \([^)]*\); 1 duplicate, 0 failed, /);
  });

  it('exits 1 when every item failed, after the summary', async () => {
    writeFileSync(join(dir, 'memories.json'), JSON.stringify([{ text: 'no content field' }, { tags: 3 }]));
    const failed = await engramImport(['mcp-memory-service', 'memories.json']);
    assert.equal(failed.code, 1, failed.stderr);
    assert.match(failed.stdout, /^stored 0 of 0 memories from memories\.json .*; 0 duplicates, 2 failed/);
  });

  it('says why items failed: the first five with their reasons, then how many more', async () => {
    const items = Array.from({ length: 7 }, (_, i) => ({ text: `no content field ${i + 1}` }));
    writeFileSync(join(dir, 'seven.json'), JSON.stringify(items));
    const run = await engramImport(['mcp-memory-service', 'seven.json']);
    assert.equal(run.code, 1, run.stderr);
    assert.match(run.stdout, /; 0 duplicates, 7 failed, /);
    const reasons = run.stderr.split('\n').filter((line) => /^(failed:|and) /.test(line));
    assert.equal(reasons.length, 6, run.stderr);
    for (const [i, line] of reasons.slice(0, 5).entries()) {
      assert.equal(line, `failed: seven.json, memory ${i + 1} (line 1): "content" is missing, expected text`);
    }
    assert.equal(reasons[5], 'and 2 more failed (--json lists them all)');
  });

  it('exits 65 naming the file for a malformed export, 1 for one whose items all failed, 66 for a missing one, 64 for bad usage', async () => {
    writeFileSync(join(dir, 'conversations.json'), '{"title": "x", "mapping": {}}');
    const broken = await engramImport(['chatgpt', 'conversations.json']);
    assert.equal(broken.code, 65, broken.stderr);
    assert.match(broken.stderr, /engram import: failed: conversations\.json: malformed JSON at line 1[^\n]*\n$/);
    writeFileSync(
      join(dir, 'v99.ndjson'),
      '{"format":"engram-export","version":99,"exported_at":1,"namespace":"default","embedding_model":null}\n',
    );
    const newer = await engramImport(['auto', 'v99.ndjson']); // read by the job itself, which fails
    assert.equal(newer.code, 65, newer.stderr);
    assert.match(
      newer.stderr,
      /engram import: failed: v99\.ndjson: not an Engram export of a version this build reads\n$/,
    );
    assert.doesNotMatch(newer.stdout + newer.stderr, /^\{/m, 'no log line repeats it ("Job failed" as JSON)');
    writeFileSync(join(dir, 'conversations.json'), '[{"title": "x", "mapping": ');
    const cut = await engramImport(['chatgpt', 'conversations.json']);
    assert.equal(cut.code, 1, 'every item failed');
    assert.match(cut.stdout, /^stored 0 of 0 memories from conversations\.json .*; 0 duplicates, 1 failed/);
    assert.equal((await engramImport(['chatgpt', 'missing.zip'])).code, 66);
    assert.equal((await engramImport(['friendster', 'export.zip'])).code, 64);
    const nowhere = await engramImport(['chatgpt', 'export.zip', '--to', 'nowhere']);
    assert.equal(nowhere.code, 64);
    assert.match(nowhere.stderr, /^engram import: --to nowhere: expected memories or memory-dir\n/);
  });

  it('exits 75 saying to retry shortly when the store turns busy part-way (another writer holds it), and audits the failure once the store allows', async () => {
    writeFileSync(join(dir, 'tides.md'), '# Tides\n\nThe tide tables for the harbour are online.\n');
    // The import has read the file and waits for its vectors; a writer takes the database meanwhile.
    const held = model.hold((texts: readonly string[]) => texts.some((text) => text.includes('tide tables')));
    const busy =
      'engram import: failed: The database is locked by a long write elsewhere (a restore or reindex switch); retry shortly\n';
    const writer = new Database(env.MCP_MEMORY_SQLITE_PATH);
    const letGo = () => {
      if (!writer.inTransaction) return;
      writer.exec('ROLLBACK');
      writer.close();
    };
    // The writer lets go once the command has said it failed: the job's end is then audited before it exits.
    const running = runEngram(
      ['import', 'auto', 'tides.md'],
      { ...env, MCP_MEMORY_SQLITE_PRAGMAS: 'busy_timeout=200' },
      dir,
      (stderr) => stderr.includes(busy) && letGo(),
    );
    await held.arrived;
    writer.exec('BEGIN IMMEDIATE');
    try {
      held.release();
      const run = await running;
      assert.equal(run.code, 75, run.stderr);
      assert.equal(run.stderr.replace(/^\d+% .*\n/gm, ''), busy, 'the one line, no log line before or after it');
    } finally {
      letGo();
    }
    const audit = await runEngram(['audit', '--action', 'import', '--json'], env, dir);
    assert.equal(audit.code, 0, audit.stderr);
    const busyFailures = JSON.parse(audit.stdout).events.filter(
      (event: any) => event.outcome === 'failure' && /^The database is locked/.test(event.details.error),
    );
    assert.equal(busyFailures.length, 1, audit.stdout);
    const again = await engramImport(['auto', 'tides.md']);
    assert.equal(again.code, 0, again.stderr);
  });
});
