import { measureEventLoopLag } from '../testing/event-loop-lag';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { EmbeddingUnavailable } from '../common/domain-errors';
import { lengthSortedBatches, LocalUseEmbedder } from './local-use.embedder';

function dot(a: Float32Array, b: Float32Array): number {
  return a.reduce((sum, value, i) => sum + value * b[i], 0);
}

const TOPICS = ['coffee', 'the deployment', 'my sister', 'the database', 'hiking', 'the invoice', 'our cat', 'Python'];
function sentence(i: number): string {
  return `Note ${i}: ${'remember that '.repeat(i % 4)}${TOPICS[i % TOPICS.length]} matters on day ${i % 31}.`;
}

describe('LocalUseEmbedder (USE-lite in worker threads)', () => {
  const embedder = new LocalUseEmbedder({ batchSize: 16, workers: 2, threadsPerWorker: 1, precision: 'fp32' });

  before(() => embedder.init());
  after(() => embedder.close());

  it('describes a 512-d USE-lite model and runs the requested threads on onnxruntime', () => {
    assert.equal(embedder.provider, 'local');
    assert.equal(embedder.dimension, 512);
    assert.match(embedder.modelId, /^use-lite-512@energetic-ai-\d+\.\d+\.\d+$/);
    assert.equal(embedder.threads, 2);
    assert.equal(embedder.runtime, 'onnxruntime');
    assert.equal(embedder.engine, 'onnxruntime fp32, 2 workers × 1 thread');
  });

  it('defaults to int8 on one worker whose session spreads each batch over the cores', async () => {
    const single = new LocalUseEmbedder({ batchSize: 8 });
    assert.equal(single.engine, 'not loaded');
    await single.init();
    try {
      assert.equal(single.threads, 1);
      const threads = availableParallelism();
      assert.equal(single.arithmetic, 'int8');
      assert.equal(single.engine, `onnxruntime int8, 1 worker × ${threads} thread${threads === 1 ? '' : 's'}`);
    } finally {
      await single.close();
    }
  });

  it('gives the vectors of the TF.js graph it was rebuilt from, for short, empty and over-long texts', async () => {
    // The TF.js graph computes fp32 whatever the precision asks (it has no integer kernels).
    const reference = new LocalUseEmbedder({ batchSize: 8, workers: 1, engine: 'tfjs-wasm', precision: 'int8' });
    await reference.init();
    try {
      assert.equal(reference.arithmetic, 'fp32');
      assert.equal(reference.engine, 'tfjs-wasm fp32, 1 worker');
      assert.equal(reference.modelId, embedder.modelId);
      const texts = [...Array.from({ length: 12 }, (_, i) => sentence(i)), '', 'Ok.', 'word '.repeat(300)];
      const [rebuilt, original] = [await embedder.embed(texts), await reference.embed(texts)];
      texts.forEach((_, i) =>
        assert.ok(dot(rebuilt[i], original[i]) > 0.9999, `text ${i}: cosine ${dot(rebuilt[i], original[i])}`),
      );
    } finally {
      await reference.close();
    }
  });

  it('in int8, gives unit vectors close to fp32 ones under the same model id, whatever texts share the batch', async () => {
    const int8 = new LocalUseEmbedder({ batchSize: 8, workers: 1, precision: 'int8' });
    await int8.init();
    try {
      assert.equal(int8.modelId, embedder.modelId);
      const texts = Array.from({ length: 12 }, (_, i) => sentence(i));
      const [quantised, exact] = [await int8.embed(texts), await embedder.embed(texts)];
      texts.forEach((_, i) => {
        assert.ok(Math.abs(dot(quantised[i], quantised[i]) - 1) < 1e-4);
        const cosine = dot(quantised[i], exact[i]);
        // Close, but its own arithmetic: identical vectors would mean the int8 graph never ran.
        assert.ok(cosine > 0.99 && cosine < 0.99999, `text ${i}: cosine ${cosine}`);
      });
      // Activations are quantised per token, so a text alone and the same text batched with longer and
      // louder ones get one vector (quantised per batch, they differed at cosine ~0.998).
      const loud = Array.from({ length: 7 }, (_, i) => `${sentence(i + 3)} ${'URGENT!!! '.repeat(i + 5)}`);
      for (const i of [0, 5, 11]) {
        const [alone] = await int8.embed([texts[i]]);
        const [batched] = await int8.embed([texts[i], ...loud]);
        assert.ok(dot(alone, batched) > 0.99999, `text ${i}: cosine ${dot(alone, batched)} alone against batched`);
      }
    } finally {
      await int8.close();
    }
  });

  it('returns unit vectors where a paraphrase is closer than an unrelated sentence', async () => {
    const [query, paraphrase, unrelated] = await embedder.embed([
      'The user prefers dark roast coffee in the morning.',
      'In the mornings the user likes to drink strong black coffee.',
      'The quarterly tax report is due to the accountant on Friday.',
    ]);
    for (const vector of [query, paraphrase, unrelated]) assert.ok(Math.abs(dot(vector, vector) - 1) < 1e-4);
    assert.ok(
      dot(query, paraphrase) > dot(query, unrelated) + 0.2,
      `${dot(query, paraphrase)} vs ${dot(query, unrelated)}`,
    );
  });

  it('keeps input order for a batch of 100 split over batches and threads', async () => {
    const texts = Array.from({ length: 100 }, (_, i) => sentence(i));
    const vectors = await embedder.embed(texts);
    assert.equal(vectors.length, 100);
    for (const i of [0, 7, 33, 50, 99]) {
      const [alone] = await embedder.embed([texts[i]]);
      assert.ok(dot(alone, vectors[i]) > 0.999, `vector ${i} is not the one of its text`);
      assert.ok(dot(alone, vectors[(i + 1) % 100]) < 0.99, `vector ${i} equals its neighbour's`);
    }
  });

  it('keeps the event loop turning while embedding 500 texts', async () => {
    // Paragraph-sized texts, so the whole batch is seconds of CPU work that would freeze a blocked loop.
    const texts = Array.from({ length: 500 }, (_, i) => [0, 1, 2, 3, 4].map((k) => sentence(i + k)).join(' '));
    const { maxLagMs: maxLag, elapsedMs: elapsed } = await measureEventLoopLag(() => embedder.embed(texts));
    // The work must be long enough for a blocked loop to show, and the loop must never stall.
    assert.ok(elapsed > 750, `embedding took only ${elapsed} ms`);
    // A blocked loop lags about as long as the work; a loaded machine delays a free one by a share of it.
    const bound = Math.max(150, elapsed / 20);
    assert.ok(maxLag < bound, `timer lagged ${maxLag.toFixed(0)} ms during ${elapsed.toFixed(0)} ms of embedding`);
  });

  it('embeds a query ahead of queued bulk batches, and queries that wait together in one batch', async () => {
    const single = new LocalUseEmbedder({ batchSize: 8, workers: 1, threadsPerWorker: 1 });
    await single.init();
    try {
      const order: string[] = [];
      const bulk = single.embed(Array.from({ length: 160 }, (_, i) => sentence(i))).then(() => order.push('bulk'));
      const queries = ['coffee in the morning', 'the invoice', 'our cat'].map((text) =>
        single.embed([text], 'query').then(([vector]) => {
          order.push(text);
          return vector;
        }),
      );
      const vectors = await Promise.all(queries);
      await bulk;
      assert.equal(order.at(-1), 'bulk', `order: ${order.join(', ')}`);
      const alone = await single.embed(['the invoice']);
      assert.ok(dot(alone[0], vectors[1]) > 0.999, 'each query gets its own vector');
    } finally {
      await single.close();
    }
  });

  it('refuses an unknown precision', () => {
    // The bench and eval pass ENGRAM_EMBEDDING_PRECISION through unvalidated: anything else is refused.
    assert.throws(
      () => new LocalUseEmbedder({ batchSize: 8, precision: 'fp16' as 'fp32' }),
      /precision must be fp32 or int8, got fp16/,
    );
  });

  it('rejects worker and thread counts that are not positive integers', () => {
    assert.throws(() => new LocalUseEmbedder({ batchSize: 8, workers: 0 }), /workers must be a positive integer/);
    assert.throws(
      () => new LocalUseEmbedder({ batchSize: 8, threadsPerWorker: 1.5 }),
      /threadsPerWorker must be a positive integer/,
    );
  });

  it('returns [] for no texts', async () => {
    assert.deepEqual(await embedder.embed([]), []);
  });

  it('close() terminates the workers; later calls fail with EmbeddingUnavailable', async () => {
    const short = new LocalUseEmbedder({ batchSize: 8, workers: 1 });
    await short.init();
    assert.equal(short.threads, 1);
    await short.close();
    assert.equal(short.threads, 0);
    await assert.rejects(short.embed(['after close']), EmbeddingUnavailable);
  });

  it('close() in the middle of a batch ends cleanly: the process is not aborted by a thread stopped in onnxruntime', () => {
    // In a child process: the abort ("terminate called after throwing an instance of 'Napi::Error'")
    // kills the whole process. Before the pool waited for busy workers, this exited 134 every time.
    const script = `
      const { LocalUseEmbedder } = require(${JSON.stringify(join(__dirname, 'local-use.embedder.js'))});
      (async () => {
        const embedder = new LocalUseEmbedder({ batchSize: 64, workers: 2, threadsPerWorker: 1 });
        await embedder.init();
        const texts = Array.from({ length: 512 }, (_, i) => 'a note on travel plans, number ' + i);
        const batch = embedder.embed(texts).then(() => 'embedded', () => 'rejected');
        await new Promise((resolve) => setTimeout(resolve, 60));
        await embedder.close();
        console.log('closed, the batch ' + (await batch));
      })();`;
    const child = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(child.signal, null, `the process was killed by ${child.signal}: ${child.stderr}`);
    assert.equal(child.status, 0, child.stderr);
    assert.match(child.stdout, /closed, the batch rejected/);
  });
});

describe('lengthSortedBatches', () => {
  it('groups indices of similar length into batches of at most batchSize, covering every index once', () => {
    const texts = ['aaaaaa', 'a', 'aaaa', 'aa', 'aaaaa', 'aaa', 'aaaaaaa'];
    const batches = lengthSortedBatches(texts, 3);
    assert.deepEqual(batches, [[1, 3, 5], [2, 4, 0], [6]]);
  });
});
