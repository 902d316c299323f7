import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, watch, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  ANN_TEST_DIMENSION,
  AnnTestStore,
  countAnnAnswers,
  openAnnTestStore,
  seededMemory,
  seededVector,
} from '../testing/ann-store';
import { seededRandom } from '../testing/seeded-random';
import { makeTempDir } from '../testing/test-app';
import { waitFor } from '../testing/wait-for';
import { TEMPORARY_ABANDONED_AFTER_MS } from '../common/durable-file';
import { DEFAULT_PRAGMAS } from '../config/sqlite-pragmas';
import { AnnIndex } from './ann-index';
import { annIndexPaths } from './ann-index-file';
import { NewMemory } from './memory.record';
import { MemoryFilter } from './memory-filter.sql';
import { openSqliteDatabase } from './sqlite.connection';
import { VectorIndex } from './vector-index';

/** Above the exact-scan threshold (5,000 admitted memories), so the index is the first path. */
const LARGE = 6_000;
const TAGS = ['red', 'green', 'blue', 'amber', 'violet'];

function cosineDistance(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  for (let i = 0; i < a.length; i++) dot += a[i] * b[i];
  return 1 - dot; // unit vectors
}

/** The exact top k of the memories the predicate admits, by brute force over what was inserted. */
function exactTop(rows: readonly StoredRow[], vector: Float32Array, k: number, admits: (row: StoredRow) => boolean) {
  return rows
    .filter(admits)
    .map((row) => ({ id: row.id, distance: cosineDistance(row.embedding, vector) }))
    .sort((a, b) => a.distance - b.distance)
    .slice(0, k)
    .map((hit) => hit.id);
}

function recall(found: readonly number[], exact: readonly number[]): number {
  const wanted = new Set(exact);
  return exact.length === 0 ? 1 : found.filter((id) => wanted.has(id)).length / exact.length;
}

type StoredRow = NewMemory & { id: number };

function insert(store: AnnTestStore, memories: NewMemory[]): StoredRow[] {
  return store.memories.insertMany(memories).map((outcome, i) => ({ ...memories[i], id: outcome.memory.id }));
}

/** Records the candidate count, and the admitted count asked for, of every index search until `stop`. */
function recordPools(ann: AnnIndex): { pools: number[]; enoughs: number[]; stop: () => void } {
  const pools: number[] = [];
  const enoughs: number[] = [];
  const original = ann.candidates.bind(ann);
  ann.candidates = (vector, count, filter, enough) => {
    pools.push(count);
    enoughs.push(enough);
    return original(vector, count, filter, enough);
  };
  return { pools, enoughs, stop: () => (ann.candidates = original) };
}

describe('AnnIndex: an HNSW index of the SQLite store, beside the file', () => {
  describe('searching through it', () => {
    const dir = makeTempDir();
    let store: AnnTestStore;
    let rows: StoredRow[];
    let answers: { answered: number };

    before(async () => {
      store = openAnnTestStore(dir);
      const pick = seededRandom(7);
      const main = Array.from({ length: 9_000 }, (_, i) =>
        seededMemory(i, 'main', {
          tags: TAGS.filter(() => pick() < 0.35),
          memoryType: pick() < 0.3 ? 'decision' : 'note',
          createdAt: i * 1_000,
        }),
      );
      // Another namespace holding exactly the query vectors: any leak would rank first.
      const other = Array.from({ length: 3_000 }, (_, i) => seededMemory(100_000 + i, 'other'));
      rows = insert(store, [...main, ...other]);
      answers = countAnnAnswers(store.ann!);
      await store.ann!.caughtUp();
    });
    after(async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it('finds the exact nearest neighbours of the namespace (recall@10 ≥ 0.95), never another namespace', async () => {
      const recalls: number[] = [];
      for (let q = 0; q < 60; q++) {
        const vector = seededVector(100_000 + q); // an `other` memory's own vector
        const found = (await store.search.vectorCandidates(vector, { namespace: 'main' }, 10)).map((hit) => hit.id);
        const exact = exactTop(rows, vector, 10, (row) => row.namespace === 'main');
        assert.equal(found.length, 10);
        for (const id of found) assert.equal(rows[id - 1].namespace, 'main', `memory ${id} is not in main`);
        recalls.push(recall(found, exact));
      }
      const mean = recalls.reduce((a, b) => a + b) / recalls.length;
      assert.ok(mean >= 0.95, `recall@10 ${mean}`);
      assert.ok(answers.answered >= 60, `the index answered ${answers.answered} of 60 searches`);
    });

    it('answers random filters with only admitted memories, close to an exact scan of them', async () => {
      const pick = seededRandom(11);
      const recalls: number[] = [];
      for (let q = 0; q < 60; q++) {
        const filter: MemoryFilter = { namespace: pick() < 0.8 ? 'main' : 'other' };
        if (pick() < 0.5) {
          filter.tags = TAGS.filter(() => pick() < 0.3);
          filter.tagMatch = pick() < 0.5 ? 'any' : 'all';
        }
        if (pick() < 0.3) filter.memoryType = 'decision';
        if (pick() < 0.4) {
          filter.createdFromMs = Math.floor(pick() * 6_000) * 1_000;
          filter.createdBeforeMs = filter.createdFromMs + Math.floor(pick() * 6_000) * 1_000;
        }
        const admits = (row: StoredRow) =>
          row.namespace === filter.namespace &&
          (!filter.tags?.length ||
            (filter.tagMatch === 'all'
              ? filter.tags.every((tag) => row.tags.includes(tag))
              : filter.tags.some((tag) => row.tags.includes(tag)))) &&
          (filter.memoryType === undefined || row.memoryType === filter.memoryType) &&
          (filter.createdFromMs === undefined || row.createdAt >= filter.createdFromMs) &&
          (filter.createdBeforeMs === undefined || row.createdAt < filter.createdBeforeMs);
        const vector = seededVector(500_000 + q);
        const found = (await store.search.vectorCandidates(vector, filter, 10)).map((hit) => hit.id);
        const exact = exactTop(rows, vector, 10, admits);
        for (const id of found) assert.ok(admits(rows[id - 1]), `memory ${id} is outside ${JSON.stringify(filter)}`);
        assert.equal(found.length, exact.length, JSON.stringify(filter));
        recalls.push(recall(found, exact));
      }
      const mean = recalls.reduce((a, b) => a + b) / recalls.length;
      assert.ok(mean >= 0.95, `recall@10 ${mean}`);
    });

    it('sizes the second index search from the share of candidates the filter admitted', async () => {
      const { pools, stop } = recordPools(store.ann!);
      try {
        // Admits ~46% of the index: past an exact scan's 5,000 memories, and fewer than half of a first pool.
        const filter: MemoryFilter = { namespace: 'main', memoryType: 'note', tags: TAGS, tagMatch: 'any' };
        const admits = (row: StoredRow) =>
          row.namespace === 'main' && row.memoryType === 'note' && row.tags.some((tag) => TAGS.includes(tag));
        const share = rows.filter(admits).length / rows.length;
        const vector = seededVector(700_000);
        // 1,000 admitted wanted (k; a large k keeps the first pool's share close to the filter's): the first
        // pool of 2,000 admits fewer, so the second is sized to find 1,000 at the share the first saw, with a
        // margin — well under the 4x a blind doubling twice would ask.
        const found = await store.search.vectorCandidates(vector, filter, 1_000);
        assert.equal(pools.length, 2, `index searches of ${pools.join(', ')} candidates`);
        assert.ok(
          pools[1] >= 1_000 / share && pools[1] < 2 * (1_000 / share),
          `second pool ${pools[1]}, share ${share}`,
        );
        const exact = exactTop(rows, vector, 10, admits);
        assert.ok(
          recall(
            found.slice(0, 10).map((hit) => hit.id),
            exact,
          ) >= 0.9,
        );
      } finally {
        stop();
      }
    });

    it('gathers k admitted candidates under a filter, and never fewer than 50; unfiltered, twice k and at least 100', async () => {
      const { pools, enoughs, stop } = recordPools(store.ann!);
      try {
        const filter: MemoryFilter = { namespace: 'main', memoryType: 'note' };
        await store.search.vectorCandidates(seededVector(705_000), filter, 10);
        assert.deepEqual(new Set(enoughs), new Set([50]), `admitted asked for: ${enoughs.join(', ')}`);
        enoughs.length = pools.length = 0;
        await store.search.vectorCandidates(seededVector(705_001), filter, 80);
        assert.deepEqual(new Set(enoughs), new Set([80]), `admitted asked for: ${enoughs.join(', ')}`);
        enoughs.length = pools.length = 0;
        await store.search.vectorCandidates(seededVector(705_002), { namespace: 'main' }, 10);
        assert.deepEqual(new Set(enoughs), new Set([100]), `candidates asked for: ${enoughs.join(', ')}`);
        enoughs.length = pools.length = 0;
        await store.search.vectorCandidates(seededVector(705_003), { namespace: 'main' }, 80);
        assert.deepEqual(new Set(enoughs), new Set([160]), `candidates asked for: ${enoughs.join(', ')}`);
      } finally {
        stop();
      }
    });

    it("remembers a filter's admitted share: searched again, one wide index search; stale, still only admitted memories", async () => {
      const { pools, stop } = recordPools(store.ann!);
      const filter: MemoryFilter = { namespace: 'main', memoryType: 'note', tags: TAGS, createdFromMs: 0 };
      const notes = rows.filter(
        (row) => row.namespace === 'main' && row.memoryType === 'note' && row.tags.some((tag) => TAGS.includes(tag)),
      );
      const retyped = notes.slice(0, 800);
      try {
        // As above: 1,000 admitted wanted, more than the first pool holds at this share, so a second search.
        await store.search.vectorCandidates(seededVector(710_000), filter, 1_000);
        const learnt = pools.slice();
        pools.length = 0;
        // Bounds within the same hour are the same filter to the memo.
        await store.search.vectorCandidates(seededVector(710_001), { ...filter, createdFromMs: 59_000 }, 1_000);
        assert.equal(learnt.length, 2, `first search: index searches of ${learnt.join(', ')}`);
        assert.equal(pools.length, 1, `searched again: index searches of ${pools.join(', ')}`);
        assert.ok(Math.abs(pools[0] - learnt[1]) <= learnt[1] * 0.3, `pool ${pools[0]} after ${learnt.join(', ')}`);

        // Fewer memories admitted than the remembered share says: the answer still holds admitted ones only.
        for (const row of retyped) store.memories.update(row.id, 'main', { memoryType: 'decision', updatedAt: 1 });
        const stillNote = new Set(notes.slice(800).map((row) => row.id));
        for (let q = 0; q < 10; q++) {
          const vector = seededVector(720_000 + q);
          const found = (await store.search.vectorCandidates(vector, filter, 10)).map((hit) => hit.id);
          for (const id of found) assert.ok(stillNote.has(id), `memory ${id} is no longer a note`);
          assert.ok(
            recall(
              found,
              exactTop(rows, vector, 10, (row) => stillNote.has(row.id)),
            ) >= 0.9,
          );
        }
      } finally {
        stop();
        for (const row of retyped) store.memories.update(row.id, 'main', { memoryType: 'note', updatedAt: 1 });
      }
    });

    it('scores a memory re-embedded since the index caught up by its new vector, with the filter applied', async () => {
      const [moved, other, retagged] = rows.filter((row) => row.namespace === 'main').slice(200, 203);
      const target = seededVector(777_777); // far from every stored vector
      store.memories.update(moved.id, 'main', { embedding: target, memoryType: 'note', updatedAt: 2 });
      store.memories.update(other.id, 'main', { embedding: target, tags: ['never-searched'], updatedAt: 2 });
      store.memories.update(retagged.id, 'main', { embedding: target, memoryType: 'excluded', updatedAt: 2 });
      const filter = { namespace: 'main', tags: ['never-searched'] };
      const before = answers.answered;
      for (const pending of [true, false]) {
        const all = await store.search.vectorCandidates(target, { namespace: 'main', memoryType: 'note' }, 3);
        const top = all.filter((hit) => hit.distance < 1e-6).map((hit) => hit.id);
        assert.ok(top.includes(moved.id), `pending=${pending}: ${JSON.stringify(all)}`);
        assert.ok(!top.includes(retagged.id), `pending=${pending}: a memory the filter no longer admits came back`);
        const tagged = await store.search.vectorCandidates(target, filter, 3);
        assert.deepEqual(
          tagged.map((hit) => hit.id),
          [other.id],
          `pending=${pending}: only the memory holding the tag`,
        );
        if (pending) await store.ann!.caughtUp();
      }
      assert.ok(answers.answered > before, 'the index answered');
    });

    it('stays in service when one search fails on its thread (a filter SQLite cannot bind)', async () => {
      const unbindable = { namespace: 'main', tags: [{} as unknown as string] };
      await assert.rejects(store.search.vectorCandidates(rows[0].embedding, unbindable, 10), /parameter/);
      assert.equal(store.ann!.ready, true, 'the index was not given up');
      const before = answers.answered;
      const found = await store.search.vectorCandidates(rows[0].embedding, { namespace: 'main' }, 10);
      assert.equal(found[0].id, rows[0].id);
      assert.ok(answers.answered > before, 'the index answered the next search');
    });

    it('never returns a deleted memory, before or after the index caught up with the delete', async () => {
      const victims = rows.filter((row) => row.namespace === 'main').slice(100, 140);
      for (const [i, row] of victims.entries()) {
        if (i % 2 === 0) store.memories.softDelete(row.id, 1);
        else store.memories.hardDelete(row.id);
      }
      const check = async () => {
        for (const row of victims) {
          const found = (await store.search.vectorCandidates(row.embedding, { namespace: 'main' }, 10)).map(
            (hit) => hit.id,
          );
          assert.ok(!found.includes(row.id), `deleted memory ${row.id} came back`);
        }
      };
      const before = answers.answered;
      await check(); // the deletes are still pending in the log
      await store.ann!.caughtUp();
      await check();
      assert.ok(answers.answered - before >= victims.length * 2);
    });
  });

  describe('persistence beside the database', () => {
    const dir = makeTempDir();
    const paths = annIndexPaths(join(dir, 'engram.db'));
    let rows: StoredRow[];

    before(async () => {
      const store = openAnnTestStore(dir);
      rows = insert(
        store,
        Array.from({ length: LARGE }, (_, i) => seededMemory(i, 'main')),
      );
      await store.ann!.whenReady();
      await store.close();
    });
    after(() => rmSync(dir, { recursive: true, force: true }));

    /** Every memory of a sample is found first by its own vector. */
    async function assertFindsOwnVectors(store: AnnTestStore, sample: readonly StoredRow[]): Promise<void> {
      for (const row of sample) {
        const [first] = await store.search.vectorCandidates(row.embedding, { namespace: 'main' }, 1);
        assert.equal(first?.id, row.id);
      }
    }

    it('saves the index and its header next to the file after a build', async () => {
      assert.ok(existsSync(paths.index) && existsSync(paths.header));
      const header = JSON.parse(readFileSync(paths.header, 'utf8'));
      assert.equal(header.model, 'ann-test');
      assert.equal(header.dimension, ANN_TEST_DIMENSION);
      assert.equal(header.file.inode, statSync(paths.index).ino);
    });

    it('loads the saved index and catches up with writes made while it was closed, without rebuilding', async () => {
      const writer = openAnnTestStore(dir, { withAnn: false });
      const added = insert(
        writer,
        Array.from({ length: 50 }, (_, i) => seededMemory(10_000 + i, 'main')),
      );
      const deleted = rows.slice(0, 20);
      for (const row of deleted) writer.memories.hardDelete(row.id);
      await writer.close();

      const store = openAnnTestStore(dir);
      const answers = countAnnAnswers(store.ann!);
      await store.ann!.whenReady();
      try {
        assert.ok(
          store.logs.some((line) => line.startsWith('Vector index loaded')),
          store.logs.join('\n'),
        );
        assert.ok(!store.logs.some((line) => line.includes('building')), store.logs.join('\n'));
        await assertFindsOwnVectors(store, added);
        for (const row of deleted) {
          const found = (await store.search.vectorCandidates(row.embedding, { namespace: 'main' }, 10)).map(
            (hit) => hit.id,
          );
          assert.ok(!found.includes(row.id));
        }
        assert.ok(answers.answered >= added.length + deleted.length);
        rows = rows.slice(20);
      } finally {
        await store.close();
      }
    });

    it('a search while the saved index loads waits for it rather than loading the Hamming mirror', async () => {
      const store = openAnnTestStore(dir);
      const answers = countAnnAnswers(store.ann!);
      try {
        store.ann!.start();
        assert.equal(store.ann!.ready, false, 'the search below is sent while the index is loading');
        await assertFindsOwnVectors(store, rows.slice(0, 3));
        assert.equal(answers.answered, 3);
        assert.equal(store.vectors.mirrorLoaded, false, 'the 1-bit mirror was never read');
      } finally {
        await store.close();
      }
    });

    for (const [damage, spoil] of [
      ['a missing index file', () => rmSync(paths.index)],
      [
        'a corrupt index file of the same size',
        () => writeFileSync(paths.index, Buffer.alloc(statSync(paths.index).size, 7)),
      ],
      [
        "another model's index",
        () => {
          const header = JSON.parse(readFileSync(paths.header, 'utf8'));
          writeFileSync(paths.header, JSON.stringify({ ...header, model: 'someone-else' }));
        },
      ],
    ] as const) {
      it(`rebuilds from ${damage} in the background, the scan answering right meanwhile`, async () => {
        spoil();
        const store = openAnnTestStore(dir);
        const answers = countAnnAnswers(store.ann!);
        try {
          const sample = rows.filter((_, i) => i % 150 === 0);
          await assertFindsOwnVectors(store, sample); // the Hamming path, while the build runs
          assert.equal(answers.answered, 0);
          assert.equal(store.search.vectorSearchRunsAside(), false, 'the Hamming path runs on this thread');
          await store.ann!.whenReady();
          assert.equal(store.search.vectorSearchRunsAside(), true, "searches go to the index's thread");
          assert.ok(
            store.logs.some((line) => line.includes('building it')),
            store.logs.join('\n'),
          );
          assert.ok(
            store.logs.some((line) => line.startsWith('Vector index built')),
            store.logs.join('\n'),
          );
          await assertFindsOwnVectors(store, sample);
          assert.equal(answers.answered, sample.length, store.logs.join('\n'));
        } finally {
          await store.close();
        }
      });
    }

    it('closing during a build stops it at a step, and leaves no temporary file behind', async () => {
      rmSync(paths.index);
      const store = openAnnTestStore(dir);
      store.ann!.start();
      await waitFor(() => store.logs.some((line) => line.includes('building it')), 'the build to start');
      await store.close();
      // The thread ended itself between two chunks: stopping it inside usearch's add can abort the process.
      await waitFor(
        () => store.logs.includes('Vector index: build stopped, the index is closing'),
        'the build to stop',
      );
      await waitFor(() => !readdirSync(dir).some((name) => name.endsWith('.tmp')), 'the temporary file to go');
      assert.ok(!existsSync(paths.index), 'a stopped build published no index');
      assert.ok(!store.logs.some((line) => line.startsWith('Vector index built')));
    });

    it('drops the index when the vectors are rewritten (restore, reindex) and rebuilds it', async () => {
      const store = openAnnTestStore(dir);
      try {
        await store.ann!.whenReady();
        const answers = countAnnAnswers(store.ann!);
        store.db.transaction(() => VectorIndex.markRebuilt(store.db))();
        const sample = rows.slice(0, 5);
        await assertFindsOwnVectors(store, sample);
        assert.equal(answers.answered, 0);
        assert.ok(store.logs.some((line) => line.startsWith('Vector index dropped')));
        await store.ann!.whenReady();
        await assertFindsOwnVectors(store, sample);
        assert.equal(answers.answered, sample.length);
      } finally {
        await store.close();
      }
    });
  });

  it('searches a store no larger than an exact scan on this thread, the index ready or not', async () => {
    const dir = makeTempDir();
    const store = openAnnTestStore(dir);
    try {
      insert(
        store,
        Array.from({ length: 300 }, (_, i) => seededMemory(i, 'main')),
      );
      await store.ann!.whenReady();
      assert.equal(store.ann!.ready, true);
      assert.equal(store.search.vectorSearchRunsAside(), false);
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('whenReady rejects, rather than waiting forever, while nothing is stored to index', async () => {
    const dir = makeTempDir();
    const path = join(dir, 'engram.db');
    const db = openSqliteDatabase(path, DEFAULT_PRAGMAS); // no embedding model bound: nothing stored
    const ann = new AnnIndex(db, { databasePath: path });
    try {
      await assert.rejects(ann.whenReady(), /Nothing is stored yet/);
      assert.equal(ann.ready, false);
    } finally {
      await ann.close();
      db.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  describe('namespace isolation at scale', () => {
    const dir = makeTempDir();
    const NAMESPACES = 66_000; // more than 65,536: a 16-bit namespace number would wrap
    let store: AnnTestStore;
    let rows: StoredRow[];

    before(async () => {
      store = openAnnTestStore(dir);
      rows = insert(
        store,
        Array.from({ length: LARGE }, (_, i) => seededMemory(i, 'wide')),
      );
      // One memory per namespace, each holding a vector the searches below ask for. Written straight into
      // the two tables the index and the exact scan read: through the repository, sqlite-vec's vec0 table
      // (partitioned by namespace) takes minutes for this many partitions. The Hamming scan's own
      // namespace numbering past 65,536 is covered in hamming-index.spec.ts.
      const memory = store.db.prepare(
        `INSERT INTO memories (namespace, content_hash, content, memory_type, created_at, updated_at)
         VALUES (?, ?, 'one of many namespaces', 'note', 0, 0)`,
      );
      const embedding = store.db.prepare('INSERT INTO memory_embeddings (memory_id, embedding) VALUES (?, ?)');
      store.db.transaction(() => {
        for (let i = 0; i < NAMESPACES; i++) {
          const vector = seededVector(1_000_000 + i);
          const id = Number(memory.run(`ns-${i}`, `hash-${i}`).lastInsertRowid);
          embedding.run(id, Buffer.from(vector.buffer));
          rows.push({ ...seededMemory(1_000_000 + i, `ns-${i}`), id });
        }
      })();
      await store.ann!.caughtUp();
    });
    after(async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it('answers from the asked namespace only, though its nearest vectors are in other namespaces', async () => {
      const answers = countAnnAnswers(store.ann!);
      assert.equal(store.ann!.size, LARGE + NAMESPACES);
      for (const i of [0, 1, 65_535, 65_536, 65_537, NAMESPACES - 1]) {
        const vector = seededVector(1_000_000 + i);
        const inWide = (await store.search.vectorCandidates(vector, { namespace: 'wide' }, 10)).map((hit) => hit.id);
        assert.deepEqual(
          inWide,
          exactTop(rows, vector, 10, (row) => row.namespace === 'wide'),
        );
        const own = (await store.search.vectorCandidates(vector, { namespace: `ns-${i}` }, 10)).map((hit) => hit.id);
        assert.deepEqual(own, [rows[LARGE + i].id]);
      }
      assert.ok(answers.answered >= 6, `the index answered ${answers.answered} searches`);
    });
  });

  describe('after SIGKILL during ingest', () => {
    const dir = makeTempDir();
    const child = join(__dirname, '..', 'testing', 'ann-ingest.child.js');

    before(async () => {
      const store = openAnnTestStore(dir);
      insert(
        store,
        Array.from({ length: LARGE }, (_, i) => seededMemory(i, 'main')),
      );
      await store.ann!.whenReady();
      await store.close();
    });
    after(() => rmSync(dir, { recursive: true, force: true }));

    /** Runs the writer until it acknowledged `acks` inserts, kills it with SIGKILL, returns what it said. */
    function ingestUntilKilled(firstSeed: number, acks: number): Promise<string[]> {
      return new Promise((resolve, reject) => {
        const writer = spawn(process.execPath, [child, dir, String(firstSeed)], { stdio: ['ignore', 'pipe', 'pipe'] });
        let output = '';
        let errors = '';
        writer.stdout.on('data', (chunk: Buffer) => {
          output += chunk.toString();
          if ((output.match(/^ack /gm)?.length ?? 0) >= acks) writer.kill('SIGKILL');
        });
        writer.stderr.on('data', (chunk: Buffer) => (errors += chunk.toString()));
        writer.on('error', reject);
        writer.on('exit', (code, signal) => {
          if (signal !== 'SIGKILL') reject(new Error(`the writer exited (${code}) before it was killed: ${errors}`));
          // Only complete lines are certain: the last piece may have been cut by the kill.
          else resolve(output.split('\n').slice(0, -1));
        });
      });
    }

    /** Runs the writer and kills it with SIGKILL as soon as it starts saving; the temporary file it left, if any. */
    function killWhileSaving(firstSeed: number): Promise<string | undefined> {
      return new Promise((resolve, reject) => {
        const writer = spawn(process.execPath, [child, dir, String(firstSeed)], {
          stdio: ['ignore', 'ignore', 'pipe'],
        });
        const saving = `engram.db.usearch.${writer.pid}.`;
        const seen = new Set<string>();
        const watcher = watch(dir, (_event, name) => {
          if (!name?.startsWith(saving) || !name.endsWith('.tmp')) return;
          seen.add(name);
          writer.kill('SIGKILL');
        });
        let errors = '';
        writer.stderr.on('data', (chunk: Buffer) => (errors += chunk.toString()));
        writer.on('error', reject);
        writer.on('exit', (code, signal) => {
          watcher.close();
          if (signal !== 'SIGKILL')
            return reject(new Error(`the writer exited (${code}) before it was killed: ${errors}`));
          resolve([...seen].map((name) => join(dir, name)).find((path) => existsSync(path)));
        });
      });
    }

    /** Kills the writer while it saves until a kill leaves its temporary index file behind. */
    async function leftoverOfKilledSave(firstSeed: number): Promise<string> {
      for (let attempt = 0; attempt < 30; attempt++) {
        const left = await killWhileSaving(firstSeed + attempt * 10_000);
        if (left) return left;
      }
      throw new Error('30 kills while saving left no temporary index file');
    }

    for (const [round, acks] of [
      [1, 37],
      [2, 211],
      [3, 523],
    ] as const) {
      it(`keeps every acknowledged memory findable and no deleted one (kill ${round}, after ${acks} inserts)`, async () => {
        const complete = await ingestUntilKilled(round * 1_000_000, acks);
        const vectorOf = new Map<number, Float32Array>();
        const uncertain = new Set<number>();
        /** Deleted memories, by the vector they last had; an id SQLite reuses for a later insert leaves it. */
        const deleted = new Map<number, Float32Array>();
        for (const line of complete) {
          const [word, id, seed] = line.split(' ').map((part, i) => (i === 0 ? part : Number(part))) as [
            string,
            number,
            number,
          ];
          if (word === 'ack') {
            vectorOf.set(id, seededVector(seed));
            deleted.delete(id);
          } else if (word === 'updating' || word === 'deleting') uncertain.add(id);
          else if (word === 'upd') {
            vectorOf.set(id, seededVector(seed));
            uncertain.delete(id);
          } else if (word === 'del') {
            deleted.set(id, vectorOf.get(id)!);
            vectorOf.delete(id);
            uncertain.delete(id);
          }
        }

        const store = openAnnTestStore(dir);
        const answers = countAnnAnswers(store.ann!);
        try {
          // Usually the saved index loads and catches up; a kill between a save's two renames leaves a header
          // naming the previous file, which is then rebuilt (never trusted): either way the answers below hold.
          await store.ann!.whenReady();
          let checked = 0;
          for (const [id, vector] of vectorOf) {
            if (uncertain.has(id)) continue;
            const [first] = await store.search.vectorCandidates(vector, { namespace: 'main' }, 1);
            assert.equal(first?.id, id, `acknowledged memory ${id} is not found by its vector`);
            checked++;
          }
          for (const [id, vector] of deleted) {
            const found = (await store.search.vectorCandidates(vector, { namespace: 'main' }, 10)).map((hit) => hit.id);
            assert.ok(!found.includes(id), `deleted memory ${id} came back`);
          }
          // About one memory in twenty is deleted and a few are in flight: most acknowledged ones are checked.
          assert.ok(checked >= acks / 2, `only ${checked} acknowledged memories checked`);
          assert.ok(answers.answered > 0, 'the index answered none of the searches');
        } finally {
          await store.close();
        }
      });
    }

    it('removes a temporary index file a kill while saving left once abandoned, when the index next starts', async () => {
      const abandoned = await leftoverOfKilledSave(4_000_000);
      const longAgo = (Date.now() - TEMPORARY_ABANDONED_AFTER_MS - 60_000) / 1000;
      utimesSync(abandoned, longAgo, longAgo);
      // Another process's save, for all this one can tell: its writer might still be at work.
      const recent = await leftoverOfKilledSave(5_000_000);
      const store = openAnnTestStore(dir);
      try {
        store.ann!.start();
        await waitFor(() => !existsSync(abandoned), 'the abandoned temporary index file to be removed');
        await store.ann!.whenReady();
        assert.ok(existsSync(recent), 'the recent temporary index file is kept');
      } finally {
        await store.close();
      }
    });
  });
});
