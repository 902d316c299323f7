import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { MAX_PAGE_SIZE } from '../memories/memory.dto';
import { AgentFileStore } from '../storage/agent-file.store';
import { MemoryStore } from '../storage/memory.store';
import { startTestApp, TestApp } from '../testing/test-app';
import { MemoryFileIndexer } from './memory-file.indexer';

/** Enough files for several pages of entries, the last one short. */
const FILES = 2 * MAX_PAGE_SIZE + 50;

/** What the store did for the calls made meanwhile. */
interface StoreTally {
  /** Memory rows read: those handed back, those a count tallied, and those an offset stepped over. */
  rowsRead: number;
  writes: number;
}

/** Tallies the memory rows `store` reads, and its writes, while `work` runs. */
async function tallied(store: MemoryStore, work: () => Promise<unknown>): Promise<StoreTally> {
  const tally: StoreTally = { rowsRead: 0, writes: 0 };
  const { list, listAfter, count, insertMany, softDelete, hardDelete } = store;
  store.list = async (filter, offset, limit, order) => {
    const page = await list.call(store, filter, offset, limit, order);
    tally.rowsRead += offset + page.length;
    return page;
  };
  store.listAfter = async (filter, position, limit) => {
    const page = await listAfter.call(store, filter, position, limit);
    tally.rowsRead += page.length;
    return page;
  };
  store.count = async (filter) => {
    const counted = await count.call(store, filter);
    tally.rowsRead += counted;
    return counted;
  };
  const write =
    <Args extends unknown[], Result>(method: (...args: Args) => Promise<Result>) =>
    (...args: Args) => {
      tally.writes += 1;
      return method.apply(store, args);
    };
  store.insertMany = write(insertMany);
  store.softDelete = write(softDelete);
  store.hardDelete = write(hardDelete);
  try {
    await work();
  } finally {
    Object.assign(store, { list, listAfter, count, insertMany, softDelete, hardDelete });
  }
  return tally;
}

describe('memory directory indexer', () => {
  let api: TestApp;
  let indexer: MemoryFileIndexer;
  let files: AgentFileStore;
  let store: MemoryStore;

  before(async () => {
    api = await startTestApp();
    files = api.app.get(AgentFileStore, { strict: false });
    indexer = api.app.get(MemoryFileIndexer, { strict: false });
    store = api.app.get(MemoryStore, { strict: false });
    for (let i = 0; i < FILES; i++) {
      await files.write('default', `notes/n${i}.md`, `# Note ${i}\n- kept for the indexer's pages\n`, 'hand_edit');
    }
    await indexer.syncAll('default');
  });
  after(() => api.close());

  it("reads each file's entry once per full pass, however many pages the entries fill", async () => {
    const pass = await tallied(store, () => indexer.syncAll('default'));
    assert.deepEqual(pass, { rowsRead: FILES, writes: 0 }, 'every entry read once, none stored again');
  });

  it("reads each entry once to apply an agent run's changes, and indexes the changed file", async () => {
    await files.write('default', 'notes/n0.md', '# Note 0\n- edited by the agent\n', 'agent');
    const run = await tallied(store, () => indexer.apply('default', new Map([['notes/n0.md', 'updated']])));
    assert.equal(run.rowsRead, FILES);
    const entries = await store.listAfter({ namespace: 'default', memoryType: 'memory_file' }, undefined, FILES + 1);
    assert.equal(entries.length, FILES, 'the edited file still has one entry');
    assert.ok(entries.some((entry) => entry.content === 'notes/n0.md\n\n# Note 0\n- edited by the agent\n'));
  });
});
