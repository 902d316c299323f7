import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EmbeddingConfig } from '../config/config.types';
import { adoptPreloadedEmbedder, preloadEmbedder } from './embedder-preload';

const config = (): EmbeddingConfig => ({
  provider: 'local',
  batchSize: 16,
  requestTimeoutMs: 2_000,
  queryPrefix: '',
  localWorkers: 1,
});

describe('preloadEmbedder', () => {
  it('hands the embedder it started, ready to embed, to the module holding that configuration, once', async () => {
    const mine = config();
    preloadEmbedder(mine);
    assert.equal(adoptPreloadedEmbedder(config()), undefined, 'an equal but other configuration gets none');
    const adopted = adoptPreloadedEmbedder(mine);
    assert.ok(adopted);
    assert.equal(adoptPreloadedEmbedder(mine), undefined, 'handed out once');
    await adopted.ready;
    const [vector] = await adopted.embedder.embed(['preloaded while the modules load']);
    assert.equal(vector.length, adopted.embedder.dimension);
    await adopted.embedder.close();
  });

  it('closes an embedder no module adopted when told to discard it', async () => {
    const mine = config();
    const preload = preloadEmbedder(mine);
    await preload.discard();
    assert.equal(adoptPreloadedEmbedder(mine), undefined);
  });
});
