import assert from 'node:assert/strict';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { OpenedStorage, postgresAdapter, sqliteAdapter, StorageAdapterUnderTest } from '../testing/storage-adapters';
import { NewProposalSet, Proposal } from './consolidation.store';

const MODEL = { modelId: 'consolidation-contract-model', dimension: 4 };
const T0 = Date.UTC(2026, 0, 1);

const member = (n: number) => ({
  contentHash: `${n}`.padStart(64, '0'),
  content: `memory ${n}`,
  createdAt: T0,
  uses: n,
});
const merge: Proposal = {
  kind: 'merge',
  members: [member(1), member(2)],
  keep: member(1).contentHash,
  mergedContent: 'memory 1',
  similarity: 0.97,
};
const archive: Proposal = { kind: 'archive', member: member(3), reason: 'never used' };

function proposalSet(id: string, fields: Partial<NewProposalSet> = {}): NewProposalSet {
  return {
    id,
    namespace: 'default',
    jobId: `job-${id}`,
    createdAt: T0,
    settings: { similarity_threshold: 0.92 },
    summary: { scanned: 3 },
    items: [
      { itemId: 1, proposal: merge },
      { itemId: 2, proposal: archive },
    ],
    ...fields,
  };
}

/** The consolidation store's contract, run against every adapter: the same answers on both. */
for (const adapter of [sqliteAdapter(), postgresAdapter()]) {
  describe(`consolidation store contract: ${adapter.name}`, () => contract(adapter));
}

function contract(adapter: StorageAdapterUnderTest): void {
  let store: OpenedStorage;
  before(() => adapter.start());
  after(() => adapter.stop());
  beforeEach(async () => {
    await adapter.wipe();
    store = await adapter.open(MODEL);
  });
  afterEach(() => store.close());

  it('stores a proposal set with its items as given, found by id and as the newest of its namespace only', async () => {
    await store.consolidation.save(proposalSet('a'), 20);
    await store.consolidation.save(proposalSet('b', { createdAt: T0 }), 20);
    await store.consolidation.save(proposalSet('elsewhere', { namespace: 'team-b', items: [] }), 20);
    const found = await store.consolidation.find('default', 'a');
    assert.deepEqual(found, {
      ...proposalSet('a'),
      items: [
        { itemId: 1, proposal: merge, appliedAt: null, outcome: null },
        { itemId: 2, proposal: archive, appliedAt: null, outcome: null },
      ],
    });
    assert.equal((await store.consolidation.latest('default'))?.id, 'b', 'the newest by order of creation');
    assert.equal(await store.consolidation.find('team-b', 'a'), undefined, 'other namespaces see nothing');
    assert.deepEqual((await store.consolidation.latest('team-b'))?.items, []);
    assert.equal(await store.consolidation.latest('nobody'), undefined);
  });

  it('marks an item applied once, with its outcome, and never from another namespace', async () => {
    await store.consolidation.save(proposalSet('a'), 20);
    const outcome = { status: 'archived', memory: member(3).contentHash };
    assert.equal(await store.consolidation.markApplied('team-b', 'a', 2, outcome, T0 + 5), false);
    assert.equal(await store.consolidation.markApplied('default', 'a', 2, outcome, T0 + 5), true);
    assert.equal(await store.consolidation.markApplied('default', 'a', 2, { status: 'again' }, T0 + 9), false);
    assert.equal(await store.consolidation.markApplied('default', 'a', 7, outcome, T0 + 5), false, 'no such item');
    const [first, second] = (await store.consolidation.find('default', 'a'))!.items;
    assert.deepEqual([first.appliedAt, first.outcome], [null, null]);
    assert.deepEqual([second.appliedAt, second.outcome], [T0 + 5, outcome], 'the first outcome stays');
  });

  it('keeps only the newest sets of a namespace, with their items', async () => {
    for (const id of ['s1', 's2', 's3', 's4']) await store.consolidation.save(proposalSet(id), 2);
    await store.consolidation.save(proposalSet('other', { namespace: 'team-b' }), 2);
    assert.equal(await store.consolidation.find('default', 's2'), undefined);
    assert.equal((await store.consolidation.find('default', 's3'))?.items.length, 2);
    assert.equal((await store.consolidation.find('default', 's4'))?.items.length, 2);
    assert.equal((await store.consolidation.latest('team-b'))?.id, 'other', 'pruning stays in its namespace');
  });
}
