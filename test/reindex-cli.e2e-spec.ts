import assert from 'node:assert/strict';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runEngram, serviceHelper } from './engram-cli';
import { call, inheritedEnv, startApi, storeThroughApi, tempDir } from './process-harness';

const { startOpenAiEmbeddingsTestDouble } = serviceHelper('testing/openai-embeddings.test-double.js');

const MEMORIES = ['The boiler is serviced every October', 'The cabin wifi password is on the fridge'];

describe('engram reindex --if-model-changed --in-process (the chart’s start-up step)', () => {
  let dir: string;
  let modelA: any;
  let modelB: any;
  const envFor = (model: any) => ({
    ...inheritedEnv(),
    HOME: dir,
    MCP_MEMORY_SQLITE_PATH: join(dir, 'engram.db'),
    ENGRAM_EMBEDDING_PROVIDER: 'openai',
    MCP_EXTERNAL_EMBEDDING_URL: model.url,
    MCP_EXTERNAL_EMBEDDING_MODEL: model.model,
    LOG_LEVEL: 'warn',
  });
  const reindex = (env: Record<string, string>) =>
    runEngram(['reindex', '--if-model-changed', '--in-process', '--json'], env, dir);

  before(async () => {
    dir = tempDir();
    modelA = await startOpenAiEmbeddingsTestDouble({ dimension: 16, model: 'model-a' });
    modelB = await startOpenAiEmbeddingsTestDouble({ dimension: 24, model: 'model-b' });
  });
  after(async () => {
    await modelA.close();
    await modelB.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('does nothing on a new database or one already on the configured model', async () => {
    const fresh = await reindex(envFor(modelA));
    assert.equal(fresh.code, 0, fresh.stderr);
    assert.match(fresh.stderr, /no database at .*engram\.db yet; nothing to re-embed/);
    assert.equal(existsSync(join(dir, 'engram.db')), false, 'the start-up step creates no store');
    await storeThroughApi(envFor(modelA), dir, MEMORIES);
    const again = await reindex(envFor(modelA));
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stderr, /holds openai:model-a vectors already; nothing to re-embed/);
  });

  it('re-embeds with the new model in this process although Redis is configured, so the api starts on it', async () => {
    const before = modelB.inputs.length;
    // No Redis listens there: a queued job would never run. --in-process must not need it.
    const switched = await reindex({ ...envFor(modelB), REDIS_URL: 'redis://127.0.0.1:1/0' });
    assert.equal(switched.code, 0, switched.stderr);
    const result = JSON.parse(switched.stdout);
    assert.equal(result.previous_model, 'openai:model-a');
    assert.equal(result.model, 'openai:model-b');
    assert.equal(result.dimension, 24);
    assert.equal(result.vectors, MEMORIES.length);
    for (const content of MEMORIES) assert.ok(modelB.inputs.slice(before).includes(content));

    const api = await startApi({ ...envFor(modelB), LOG_LEVEL: 'info' }, dir);
    try {
      const found = await call(api.url, 'POST', '/api/search', { query: 'boiler October service' });
      assert.equal(found.status, 200);
      assert.equal(found.body.results[0].memory.content, MEMORIES[0]);
    } finally {
      await api.stop();
    }
  });
});
