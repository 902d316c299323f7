import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { contentHash } from '../memories/content-hash';
import { NewMemory } from '../storage/memory.record';
import { OpenedStorage, sqliteAdapter } from '../testing/storage-adapters';
import { CandidateTexts } from './candidate-texts';
import { textFeatures } from './hybrid-relevance';
import { queryFacts } from './relevance-signals';

const MODEL = { modelId: 'candidate-texts-model', dimension: 8 };
const T0 = Date.UTC(2026, 0, 1);

function memory(content: string, namespace = 'default'): NewMemory {
  return {
    namespace,
    contentHash: contentHash(content),
    content,
    memoryType: 'note',
    metadata: {},
    tags: [],
    createdAt: T0,
    updatedAt: T0,
    embedding: Float32Array.from([1, 0, 0, 0, 0, 0, 0, 0]),
  };
}

describe('candidate texts', () => {
  const adapter = sqliteAdapter();
  let store: OpenedStorage;
  before(async () => {
    await adapter.start();
    store = await adapter.open(MODEL);
  });
  after(async () => {
    store.close();
    await adapter.stop();
  });

  it('reads each id once, live memories of the namespace only, with their features for the query', async () => {
    const [garden, tyres, gone, elsewhere] = (
      await store.memories.insertMany([
        memory('Maria planted tomatoes in the garden'),
        memory('When did we change the tyres? Last week'),
        memory('A memory deleted since'),
        memory('Maria planted tomatoes in the garden', 'team-b'),
      ])
    ).map((outcome) => outcome.memory.id);
    await store.memories.softDelete(gone, T0 + 1);
    const requested: number[][] = [];
    const findLiveTexts = store.memories.findLiveTexts.bind(store.memories);
    store.memories.findLiveTexts = (namespace, ids) => {
      requested.push([...ids]);
      return findLiveTexts(namespace, ids);
    };
    const facts = queryFacts('When did Maria plant tomatoes?');
    const texts = new CandidateTexts(store.memories, 'default', facts);

    const first = await texts.load([garden, gone, elsewhere]);
    assert.deepEqual(
      first.map((text) => text.id),
      [garden],
    );
    const second = await texts.load([garden, tyres]);
    assert.deepEqual(
      second.map((text) => text.id),
      [tyres],
    );
    assert.deepEqual(requested, [[garden, gone, elsewhere], [tyres]], 'an id already read is not read again');
    assert.equal(texts.has(gone), false);
    assert.equal(texts.has(elsewhere), false);
    assert.deepEqual(texts.get(garden)?.features, textFeatures('Maria planted tomatoes in the garden', facts));
    assert.equal(texts.get(garden)?.features.termCoverage, 1);
    assert.equal(texts.get(tyres)?.features.asks, false);
    assert.equal(texts.get(tyres)?.features.mentionsTime, true);
  });
});
