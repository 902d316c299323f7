import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { EmbeddingConfig } from '../config/config.types';
import { startOpenAiEmbeddingsTestDouble } from '../testing/openai-embeddings.test-double';
import { buildTinyOnnxModel } from '../testing/tiny-onnx-model';
import { createEmbedder } from './embedder.factory';
import { LocalUseEmbedder } from './local-use.embedder';
import { OnnxEmbedder } from './onnx.embedder';
import { OpenAiEmbedder } from './openai.embedder';

const BASE: EmbeddingConfig = {
  provider: 'local',
  batchSize: 16,
  requestTimeoutMs: 2_000,
  queryPrefix: '',
};

describe('createEmbedder', () => {
  it('builds the local USE-lite embedder by default, with the configured worker count', async () => {
    const embedder = createEmbedder({ ...BASE, localWorkers: 1 });
    assert.ok(embedder instanceof LocalUseEmbedder);
    await embedder.init();
    assert.equal(embedder.threads, 1);
    assert.equal(embedder.arithmetic, 'int8');
    await embedder.close();
  });

  it('passes the local precision on, under one model id for both arithmetics', async () => {
    const fp32 = createEmbedder({ ...BASE, localWorkers: 1, localPrecision: 'fp32' }) as LocalUseEmbedder;
    const int8 = createEmbedder({ ...BASE, localPrecision: 'int8' });
    assert.match(fp32.modelId, /^use-lite-512@/);
    assert.equal(int8.modelId, fp32.modelId);
    await fp32.init();
    assert.equal(fp32.arithmetic, 'fp32');
    await fp32.close();
  });

  it('builds a working onnx embedder from onnxModelDir', async () => {
    const scratch = await mkdtemp(join(tmpdir(), 'engram-factory-'));
    try {
      const model = await buildTinyOnnxModel(scratch, {
        name: 'factory-model',
        dimension: 16,
      });
      const embedder = createEmbedder({
        ...BASE,
        provider: 'onnx',
        onnxModelDir: model.dir,
      });
      assert.ok(embedder instanceof OnnxEmbedder);
      await embedder.init();
      assert.equal(embedder.modelId, 'onnx:factory-model');
      assert.equal(embedder.dimension, 16);
      await embedder.close();
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  });

  it('builds a working openai embedder with model, key, dimension and timeout from config', async () => {
    const double = await startOpenAiEmbeddingsTestDouble({
      dimension: 12,
      model: 'served-model',
      apiKey: 'k-1',
    });
    try {
      const embedder = createEmbedder({
        ...BASE,
        provider: 'openai',
        openaiBaseUrl: double.url,
        openaiModel: 'served-model',
        openaiApiKey: 'k-1',
        openaiDimension: 12,
      });
      assert.ok(embedder instanceof OpenAiEmbedder);
      await embedder.init();
      assert.equal(embedder.modelId, 'openai:served-model');
      assert.equal(embedder.dimension, 12);
      await embedder.close();
    } finally {
      await double.close();
    }
  });

  it('refuses a provider whose settings are missing', () => {
    assert.throws(() => createEmbedder({ ...BASE, provider: 'onnx' }), /onnxModelDir/);
    assert.throws(() => createEmbedder({ ...BASE, provider: 'openai', openaiModel: 'm' }), /openaiBaseUrl/);
  });
});
