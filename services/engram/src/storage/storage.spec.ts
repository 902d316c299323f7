import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startOpenAiEmbeddingsTestDouble, OpenAiEmbeddingsTestDouble } from '../testing/openai-embeddings.test-double';
import { makeTempDir, startTestApp } from '../testing/test-app';
import { bindEmbeddingModel, EmbeddingModelMismatch, readEmbeddingModel } from './embedding-model.binding';
import { MIGRATIONS } from './migrations';
import { openSqliteDatabase } from './sqlite.connection';
import { DEFAULT_PRAGMAS } from '../config/sqlite-pragmas';

describe('SQLite storage', () => {
  it('applies numbered migrations once, recorded in schema_migrations, with WAL and the configured pragmas', () => {
    const path = join(makeTempDir(), 'engram.db');
    const pragmas = { ...DEFAULT_PRAGMAS, cache_size: '4321', busy_timeout: '1234' };
    const first = openSqliteDatabase(path, pragmas);
    assert.equal(first.pragma('journal_mode', { simple: true }), 'wal');
    assert.equal(first.pragma('cache_size', { simple: true }), 4321);
    assert.equal(first.pragma('busy_timeout', { simple: true }), 1234);
    assert.equal(first.pragma('foreign_keys', { simple: true }), 1);
    first.close();
    const second = openSqliteDatabase(path, pragmas);
    const rows = second.prepare('SELECT version, name FROM schema_migrations ORDER BY version').all();
    assert.deepEqual(
      rows,
      MIGRATIONS.map(({ version, name }) => ({ version, name })),
    );
    second.close();
  });

  it('lets replicas open a new store at the same moment: each migration and the model binding once, nobody fails', async () => {
    // Separate processes, released together, open one new file: what replicas started by one deploy do.
    const script = `
      const { openSqliteDatabase } = require(${JSON.stringify(join(__dirname, 'sqlite.connection.js'))});
      const { bindEmbeddingModel } = require(${JSON.stringify(join(__dirname, 'embedding-model.binding.js'))});
      const { DEFAULT_PRAGMAS } = require(${JSON.stringify(join(__dirname, '..', 'config', 'sqlite-pragmas.js'))});
      const [path, releaseAt] = process.argv.slice(1);
      while (Date.now() < Number(releaseAt)) {}
      const db = openSqliteDatabase(path, DEFAULT_PRAGMAS);
      bindEmbeddingModel(db, path, { modelId: 'model-a', dimension: 8 });
      db.close();`;
    for (let round = 0; round < 3; round++) {
      const path = join(makeTempDir(), 'engram.db');
      const releaseAt = String(Date.now() + 1500);
      const children = Array.from({ length: 4 }, () => {
        const child = spawn(process.execPath, ['-e', script, path, releaseAt], { stdio: ['ignore', 'ignore', 'pipe'] });
        let stderr = '';
        child.stderr.on('data', (chunk) => (stderr += chunk));
        return once(child, 'exit').then(([code]) => ({ code, stderr }));
      });
      for (const { code, stderr } of await Promise.all(children)) assert.equal(code, 0, stderr);
      const db = openSqliteDatabase(path, DEFAULT_PRAGMAS);
      assert.deepEqual(
        db.prepare('SELECT version FROM schema_migrations ORDER BY version').pluck().all(),
        MIGRATIONS.map(({ version }) => version),
      );
      assert.equal(db.prepare('SELECT count(*) FROM store_identity').pluck().get(), 1);
      db.close();
    }
  });

  it('refuses a database whose schema is newer than this build', () => {
    const path = join(makeTempDir(), 'engram.db');
    const db = openSqliteDatabase(path, DEFAULT_PRAGMAS);
    db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, ?, 0)').run('future');
    db.close();
    assert.throws(
      () => openSqliteDatabase(path, DEFAULT_PRAGMAS),
      /schema is version 999, newer than this Engram build/,
    );
  });

  it('records the embedding model, and lets an empty database switch model', () => {
    const db = openSqliteDatabase(':memory:', DEFAULT_PRAGMAS);
    bindEmbeddingModel(db, ':memory:', { modelId: 'model-a', dimension: 8 });
    assert.deepEqual(readEmbeddingModel(db), { modelId: 'model-a', dimension: 8 });
    bindEmbeddingModel(db, ':memory:', { modelId: 'model-b', dimension: 16 });
    assert.deepEqual(readEmbeddingModel(db), { modelId: 'model-b', dimension: 16 });
    db.close();
  });

  it('refuses a database holding vectors of another model, naming both models and the reindex command', () => {
    const db = openSqliteDatabase(':memory:', DEFAULT_PRAGMAS);
    bindEmbeddingModel(db, '/data/engram.db', { modelId: 'model-a', dimension: 4 });
    db.prepare(
      `INSERT INTO memories (id, content_hash, content, memory_type, created_at, updated_at) VALUES (1, 'h', 'c', 'note', 0, 0)`,
    ).run();
    db.prepare('INSERT INTO memory_embeddings (memory_id, embedding) VALUES (1, ?)').run(Buffer.alloc(16));
    assert.throws(
      () => bindEmbeddingModel(db, '/data/engram.db', { modelId: 'model-b', dimension: 4 }),
      (error: Error) =>
        error instanceof EmbeddingModelMismatch &&
        /"model-a" \(4 dimensions\)/.test(error.message) &&
        /"model-b" \(4 dimensions\)/.test(error.message) &&
        /engram reindex/.test(error.message) &&
        /\/data\/engram\.db/.test(error.message),
    );
    assert.deepEqual(readEmbeddingModel(db), { modelId: 'model-a', dimension: 4 }, 'the refusal changed nothing');
    db.close();
  });
});

describe('starting the api on a database made by another embedding model', () => {
  let endpoint: OpenAiEmbeddingsTestDouble;
  before(async () => {
    endpoint = await startOpenAiEmbeddingsTestDouble({ dimension: 24 });
  });
  after(async () => {
    await endpoint.close();
  });

  it('refuses to start, and starts again once the original model is configured', async () => {
    const dir = makeTempDir();
    const openai = { MCP_EXTERNAL_EMBEDDING_URL: endpoint.url, MCP_EXTERNAL_EMBEDDING_MODEL: endpoint.model };
    const first = await startTestApp(openai, dir);
    assert.equal(
      (await first.request('POST', '/api/memories', { body: { content: 'made with the other model' } })).status,
      201,
    );
    await first.close({ keepDir: true });

    await assert.rejects(startTestApp({}, dir), (error: Error) => {
      assert.match(error.message, /openai:test-embedding/);
      assert.match(error.message, /use-lite/i);
      assert.match(error.message, /reindex/);
      return true;
    });

    const again = await startTestApp(openai, dir);
    assert.equal((await again.request('GET', '/api/memories')).body.total, 1);
    await again.close();
  });

  it('keeps one store for both arithmetics of the local model, and opens a store recorded under the former int8 id', async () => {
    const dir = makeTempDir();
    const path = join(dir, 'engram.db');
    const fp32 = await startTestApp({ ENGRAM_EMBEDDING_PRECISION: 'fp32' }, dir);
    const body = { content: 'The lighthouse keeper repaints the railing every spring' };
    const others = [
      'The quarterly tax report is due on Friday',
      'Our cat sleeps on the warm laptop',
      'Deploys freeze in December',
    ];
    for (const content of [body.content, ...others]) {
      assert.equal((await fp32.request('POST', '/api/memories', { body: { content } })).status, 201);
    }
    await fp32.close({ keepDir: true });
    const bundled = readStoredModel(path);
    assert.match(bundled, /^use-lite-512@energetic-ai-/);

    // The default (int8) opens the fp32 store as is and finds its memory by meaning alone.
    const int8 = await startTestApp({}, dir);
    try {
      const search = { query: 'who paints the lighthouse railing', mode: 'semantic', limit: 1 };
      const found = await int8.request('POST', '/api/search', { body: search });
      assert.equal(found.status, 200);
      assert.equal(found.body.results[0].memory.content, body.content);
    } finally {
      await int8.close({ keepDir: true });
    }
    assert.equal(readStoredModel(path), bundled);

    // A store recorded under the former id is the same model's: it opens, and is recorded under the current id.
    const db = openSqliteDatabase(path, DEFAULT_PRAGMAS);
    db.prepare("UPDATE settings SET value = ? WHERE key = 'embedding_model'").run(
      bundled.replace('use-lite-512@', 'use-lite-512-int8@'),
    );
    db.close();
    const again = await startTestApp({}, dir);
    try {
      assert.equal((await again.request('GET', '/api/memories')).body.total, 4);
    } finally {
      await again.close({ keepDir: true });
    }
    assert.equal(readStoredModel(path), bundled);
  });
});

function readStoredModel(path: string): string {
  const db = openSqliteDatabase(path, DEFAULT_PRAGMAS);
  try {
    return db.prepare("SELECT value FROM settings WHERE key = 'embedding_model'").pluck().get() as string;
  } finally {
    db.close();
  }
}
