import { INestApplicationContext } from '@nestjs/common';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '../config/config.loader';
import { JobContext } from '../jobs/job-processor';
import { JobCancelled } from '../jobs/job.errors';
import {
  hashedBagOfWords,
  OpenAiEmbeddingsTestDouble,
  startOpenAiEmbeddingsTestDouble,
} from '../testing/openai-embeddings.test-double';
import { makeTempDir, startTestApp, TestApp } from '../testing/test-app';
import { createWorkerContext } from '../worker/worker-context';
import { ReindexService } from './reindex.service';

const MEMORIES = 600;
const openAiEnv = (double: OpenAiEmbeddingsTestDouble) => ({
  ENGRAM_EMBEDDING_PROVIDER: 'openai',
  MCP_EXTERNAL_EMBEDDING_URL: double.url,
  MCP_EXTERNAL_EMBEDDING_MODEL: double.model,
});

function vectorsIn(path: string) {
  const db = new Database(path, { readonly: true });
  try {
    return {
      settings: Object.fromEntries(
        (db.prepare('SELECT key, value FROM settings').all() as { key: string; value: string }[]).map((row) => [
          row.key,
          row.value,
        ]),
      ),
      perMemory: db
        .prepare(
          `SELECT m.id, m.content, count(e.memory_id) AS vectors, max(length(e.embedding)) AS bytes, max(e.embedding) AS blob
           FROM memories m LEFT JOIN memory_embeddings e ON e.memory_id = m.id WHERE m.deleted_at IS NULL GROUP BY m.id`,
        )
        .all() as { id: number; content: string; vectors: number; bytes: number; blob: Buffer }[],
      stagingTables: db.prepare("SELECT name FROM sqlite_master WHERE name LIKE 'reindex_%'").pluck().all(),
    };
  } finally {
    db.close();
  }
}

/** A job context that records progress and runs a hook at each progress report. */
function jobContext(onProgress: (calls: number) => Promise<void> | void, stopAfterChecks = Infinity): JobContext {
  let progressCalls = 0;
  let checks = 0;
  return {
    jobId: 'test',
    progress: async () => onProgress(++progressCalls),
    setDetails: async () => undefined,
    throwIfCancelled: async () => {
      if (++checks > stopAfterChecks) throw new JobCancelled();
    },
    enterFinalStep: async () => undefined,
  };
}

describe('reindex to another embedding model', () => {
  const dir = makeTempDir();
  let oldModel: OpenAiEmbeddingsTestDouble;
  let newModel: OpenAiEmbeddingsTestDouble;
  let api: TestApp;
  let cli: INestApplicationContext;
  let reindexer: ReindexService;
  const dbPath = join(dir, 'engram.db');
  let baseline = 0;

  before(async () => {
    oldModel = await startOpenAiEmbeddingsTestDouble({ dimension: 24, model: 'model-a' });
    newModel = await startOpenAiEmbeddingsTestDouble({ dimension: 32, model: 'model-b' });
    api = await startTestApp(openAiEnv(oldModel), dir);
    const memories = Array.from({ length: MEMORIES }, (_, i) => ({
      content: `note ${i} about topic ${i % 37} and item ${i}`,
    }));
    assert.equal((await api.request('POST', '/api/memories/batch', { body: { memories } })).body.stored, MEMORIES);
    const config = loadConfig({
      env: { MCP_MEMORY_SQLITE_PATH: dbPath, LOG_LEVEL: 'error', ...openAiEnv(newModel) },
      cwd: dir,
    });
    cli = await createWorkerContext(config, 'cli', false);
    await cli.init();
    reindexer = cli.get(ReindexService);
  });
  after(async () => {
    await cli.close();
    await api.close();
    await oldModel.close();
    await newModel.close();
  });

  it('refuses to start the api on the old database with the new model, naming engram reindex', async () => {
    await assert.rejects(startTestApp(openAiEnv(newModel), dir), /model-a.*engram reindex/s);
  });

  it('stages new vectors while search keeps answering from the old ones, and stops at a safe point', async () => {
    baseline = newModel.inputs.length; // the embedder's start-up probes
    const probe = `note 7 about topic 7 and item 7`;
    await assert.rejects(
      reindexer.reindex(
        jobContext(async () => {
          const hits = await api.request('POST', '/api/search', { body: { query: probe, mode: 'semantic', limit: 1 } });
          assert.equal(hits.body.results[0].memory.content, probe);
        }, 2),
      ),
      JobCancelled,
    );
    const state = vectorsIn(dbPath);
    assert.equal(state.settings.embedding_model, 'openai:model-a');
    assert.ok(state.perMemory.every((memory) => memory.bytes === 24 * 4));
    assert.deepEqual(state.stagingTables.sort(), ['reindex_target', 'reindex_vectors']);
    assert.equal(newModel.inputs.length - baseline, 512);
  });

  it('resumes where it stopped, re-embeds memories edited meanwhile, then switches model in one step', async () => {
    const edited = (await api.request('GET', '/api/memories?page_size=1&order=oldest')).body.memories[0];
    const newContent = 'an edited note about sailing boats';
    const outcome = await reindexer.reindex(
      jobContext(async (calls) => {
        if (calls === 1) {
          const put = await api.request('PUT', `/api/memories/${edited.content_hash}`, {
            body: { content: newContent },
          });
          assert.equal(put.status, 200, put.text);
        }
      }),
    );
    assert.equal(outcome.resumed, true);
    assert.equal(outcome.model, 'openai:model-b');
    assert.equal(outcome.previous_model, 'openai:model-a');
    assert.equal(outcome.vectors, MEMORIES);
    // Only what was left, plus the edited memory: staged vectors were not computed twice.
    assert.equal(newModel.inputs.length - baseline, MEMORIES + 1);

    const state = vectorsIn(dbPath);
    assert.equal(state.settings.embedding_model, 'openai:model-b');
    assert.equal(state.settings.embedding_dimension, '32');
    assert.deepEqual(state.stagingTables, []);
    assert.equal(state.perMemory.length, MEMORIES);
    assert.ok(state.perMemory.every((memory) => memory.vectors === 1 && memory.bytes === 32 * 4));
    const editedRow = state.perMemory.find((memory) => memory.content === newContent)!;
    const stored = new Float32Array(editedRow.blob.buffer, editedRow.blob.byteOffset, 32);
    hashedBagOfWords(newContent, 32).forEach((value, i) => assert.ok(Math.abs(value - stored[i]) < 1e-6));
  });

  it('lets the api start with the new model afterwards, and its semantic search uses the new vectors', async () => {
    await api.close({ keepDir: true });
    api = await startTestApp(openAiEnv(newModel), dir);
    const probe = 'note 123 about topic 12 and item 123';
    const hits = await api.request('POST', '/api/search', { body: { query: probe, mode: 'semantic', limit: 1 } });
    assert.equal(hits.body.results[0].memory.content, probe);
  });
});
