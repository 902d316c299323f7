import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { makeTempDir } from '../testing/temp-dir';

/** Runs `embedder` (an expression) in a new process whose TMPDIR is a new folder; answers what it left there. */
function leftInTmpdir(embedder: string, modelParent: string): string[] {
  const tmp = makeTempDir('engram-ort-tmp-');
  const script = `
    const { LocalUseEmbedder } = require(${JSON.stringify(join(__dirname, 'local-use.embedder.js'))});
    const { OnnxEmbedder } = require(${JSON.stringify(join(__dirname, 'onnx.embedder.js'))});
    const { buildTinyOnnxModel } = require(${JSON.stringify(join(__dirname, '..', 'testing', 'tiny-onnx-model.js'))});
    (async () => {
      const tiny = await buildTinyOnnxModel(${JSON.stringify(modelParent)});
      const embedder = ${embedder};
      await embedder.init();
      await embedder.embed(['the cat sat on the mat']);
      await embedder.close();
    })().catch((error) => { console.error(error); process.exitCode = 1; });`;
  const child = spawnSync(process.execPath, ['-e', script], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', TMPDIR: tmp },
  });
  assert.equal(child.status, 0, child.stderr);
  return readdirSync(tmp);
}

describe('the local models on onnxruntime leave nothing in the temporary directory', () => {
  for (const [name, embedder] of [
    [
      'the default local model (USE lite on onnxruntime)',
      "new LocalUseEmbedder({ batchSize: 8, engine: 'onnxruntime' })",
    ],
    ['an ONNX model folder', 'new OnnxEmbedder({ modelDir: tiny.dir, batchSize: 8 })'],
  ]) {
    it(`${name}: no telemetry session or debug log once the model has loaded, embedded and closed`, () => {
      assert.deepEqual(leftInTmpdir(embedder, makeTempDir('engram-ort-model-')), []);
    });
  }
});
