import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { e2eStoragesWithSessions } from './e2e-storage';
import { runEngram, serviceHelper, spawnEngram } from './engram-cli';
import { inheritedEnv, storeThroughApi, tempDir } from './process-harness';

const { startOpenAiEmbeddingsTestDouble } = serviceHelper('testing/openai-embeddings.test-double.js');

const MEMORIES = ['The boiler is serviced every October', 'The cabin wifi password is on the fridge'];

for (const storage of e2eStoragesWithSessions()) {
  describe(`engram reindex --wait (the chart’s api and worker pods wait for the reindex Job), ${storage.name}`, () => {
    let dir: string;
    let storeEnv: Record<string, string>;
    let modelA: any;
    let modelB: any;
    const envFor = (model: any) => ({
      ...inheritedEnv(),
      HOME: dir,
      ...storeEnv,
      ENGRAM_EMBEDDING_PROVIDER: 'openai',
      MCP_EXTERNAL_EMBEDDING_URL: model.url,
      MCP_EXTERNAL_EMBEDDING_MODEL: model.model,
      LOG_LEVEL: 'warn',
    });

    before(async () => {
      dir = tempDir();
      storeEnv = await storage.start(dir);
      modelA = await startOpenAiEmbeddingsTestDouble({ dimension: 16, model: 'model-a' });
      modelB = await startOpenAiEmbeddingsTestDouble({ dimension: 24, model: 'model-b' });
    });
    after(async () => {
      await modelA.close();
      await modelB.close();
      await storage.stop();
      rmSync(dir, { recursive: true, force: true });
    });

    it('goes alone: with a flag of the reindex it runs, it is a usage error', async () => {
      const run = await runEngram(['reindex', '--wait', '--in-process'], envFor(modelA), dir);
      assert.equal(run.code, 64, run.stderr);
      assert.match(run.stderr, /--wait re-embeds nothing: it takes no --in-process/);
    });

    it('exits at once on a new store and on one holding the configured model’s vectors', async () => {
      const fresh = await runEngram(['reindex', '--wait'], envFor(modelA), dir);
      assert.equal(fresh.code, 0, fresh.stderr);
      await storeThroughApi(envFor(modelA), dir, MEMORIES);
      const same = await runEngram(['reindex', '--wait'], envFor(modelA), dir);
      assert.equal(same.code, 0, same.stderr);
      assert.match(same.stderr, /the database holds openai:model-a vectors; openai:model-a is configured/);
    });

    it('waits while the store holds another model’s vectors, re-embedding nothing, and exits once a reindex switched', async () => {
      const embeddedBefore = modelB.inputs.length;
      let waitingSaid!: () => void;
      const said = new Promise<void>((resolve) => (waitingSaid = resolve));
      const waiter = spawnEngram(['reindex', '--wait'], envFor(modelB), dir, (stderr) => {
        if (stderr.includes('waiting for a reindex')) waitingSaid();
      });
      let ended = false;
      void waiter.ended.then(() => (ended = true));
      try {
        await Promise.race([said, waiter.ended.then((run) => assert.fail(`ended before a reindex: ${run.stderr}`))]);
        assert.equal(ended, false);
        assert.equal(modelB.inputs.length, embeddedBefore, 'the waiting command embeds nothing');
        const reindex = await runEngram(['reindex', '--if-model-changed', '--in-process'], envFor(modelB), dir);
        assert.equal(reindex.code, 0, reindex.stderr);
        const run = await waiter.ended;
        assert.equal(run.code, 0, run.stderr);
        assert.match(
          run.stderr,
          /the database holds openai:model-a vectors, the configured model is openai:model-b; waiting for a reindex/,
        );
        assert.match(run.stderr, /the database holds openai:model-b vectors; openai:model-b is configured/);
      } finally {
        if (!ended) waiter.kill();
      }
    });
  });
}
