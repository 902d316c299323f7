import { measureEventLoopLag } from '../testing/event-loop-lag';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { EmbeddingUnavailable } from '../common/domain-errors';
import { buildTinyOnnxModel, TinyOnnxModel } from '../testing/tiny-onnx-model';
import { OnnxEmbedder } from './onnx.embedder';

function dot(a: Float32Array, b: Float32Array): number {
  return a.reduce((sum, value, i) => sum + value * b[i], 0);
}

describe('OnnxEmbedder', () => {
  let scratch: string;
  let model: TinyOnnxModel;
  let embedder: OnnxEmbedder;

  before(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'engram-onnx-'));
    model = await buildTinyOnnxModel(scratch, {
      name: 'tiny-bert',
      dimension: 32,
    });
    embedder = new OnnxEmbedder({ modelDir: model.dir, batchSize: 3 });
    await embedder.init();
  });
  after(async () => {
    await embedder.close();
    await rm(scratch, { recursive: true, force: true });
  });

  it('names the model after its folder, discovers its dimension and says what runs it', () => {
    assert.equal(embedder.provider, 'onnx');
    assert.equal(embedder.engine, 'transformers.js on onnxruntime-node, 1 worker');
    assert.equal(embedder.modelId, 'onnx:tiny-bert');
    assert.equal(embedder.dimension, 32);
  });

  it('returns the same unit vector for the same text', async () => {
    const [first, second] = await embedder.embed(['The cat sat on the mat', 'The cat sat on the mat']);
    assert.equal(first.length, 32);
    assert.ok(Math.abs(dot(first, first) - 1) < 1e-5);
    assert.deepEqual([...first], [...second]);
  });

  it('puts texts that share words closer than unrelated texts', async () => {
    const [cat, catAgain, code] = await embedder.embed([
      'the cat sat on the mat',
      'the cat slept on the sofa',
      'python compiler bug in the database query',
    ]);
    assert.ok(dot(cat, catAgain) > dot(cat, code) + 0.2, `${dot(cat, catAgain)} vs ${dot(cat, code)}`);
  });

  it('ignores padding: a text embeds the same alone and beside a longer one, in order across batches', async () => {
    const texts = [
      'dog',
      'she likes coffee and pizza for breakfast in the morning at the house',
      'red bird',
      'deploy the server tomorrow',
      'we ran',
      'tea',
      'the lazy dog slept in the garden yesterday evening',
    ];
    const together = await embedder.embed(texts);
    for (const [i, text] of texts.entries()) {
      const [alone] = await embedder.embed([text]);
      assert.ok(Math.abs(dot(alone, together[i]) - 1) < 1e-5, `text ${i} moved`);
    }
  });

  it('keeps the event loop turning while the worker embeds one long batch', async () => {
    // One batch of long texts: a single inference call that would freeze a loop running it.
    const texts = Array.from(
      { length: 600 },
      (_, i) => `${model.vocabulary[5 + (i % 60)]} ${'the cat sat on the mat '.repeat(80)}`,
    );
    const oneBatch = new OnnxEmbedder({ modelDir: model.dir, batchSize: texts.length });
    await oneBatch.init();
    const { maxLagMs: maxLag, elapsedMs: elapsed } = await measureEventLoopLag(() => oneBatch.embed(texts)).finally(
      () => oneBatch.close(),
    );
    // The work must be long enough for a blocked loop to show, and the loop must never stall.
    assert.ok(elapsed > 500, `embedding took only ${elapsed} ms`);
    // A blocked loop lags about as long as the work; a loaded machine delays a free one by a share of it.
    const bound = Math.max(150, elapsed / 20);
    assert.ok(maxLag < bound, `timer lagged ${maxLag.toFixed(0)} ms during ${elapsed.toFixed(0)} ms of embedding`);
  });

  it('fails with EmbeddingUnavailable after close()', async () => {
    const closing = new OnnxEmbedder({ modelDir: model.dir, batchSize: 4 });
    await closing.init();
    await closing.close();
    await assert.rejects(closing.embed(['after close']), EmbeddingUnavailable);
  });

  it('loads model.onnx from the folder root too', async () => {
    const rootModel = await buildTinyOnnxModel(join(scratch, 'root'), {
      name: 'flat-model',
      dimension: 24,
      layout: 'root',
    });
    const flat = new OnnxEmbedder({ modelDir: rootModel.dir, batchSize: 8 });
    await flat.init();
    assert.equal(flat.modelId, 'onnx:flat-model');
    assert.equal(flat.dimension, 24);
    await flat.close();
  });

  it('fails with EmbeddingUnavailable when the folder has no model', async () => {
    const empty = await mkdtemp(join(scratch, 'empty-'));
    await assert.rejects(new OnnxEmbedder({ modelDir: empty, batchSize: 8 }).init(), (error: unknown) => {
      assert.ok(error instanceof EmbeddingUnavailable);
      assert.match(error.message, /No model\.onnx in/);
      return true;
    });
  });

  it('fails with EmbeddingUnavailable (not a download) when files are missing or broken', async () => {
    const broken = await buildTinyOnnxModel(join(scratch, 'broken'), {
      name: 'broken-model',
    });
    await writeFile(join(broken.dir, 'onnx', 'model.onnx'), 'not a protobuf');
    await assert.rejects(new OnnxEmbedder({ modelDir: broken.dir, batchSize: 8 }).init(), EmbeddingUnavailable);
    await rm(join(broken.dir, 'tokenizer.json'));
    await assert.rejects(new OnnxEmbedder({ modelDir: broken.dir, batchSize: 8 }).init(), EmbeddingUnavailable);
  });
});
