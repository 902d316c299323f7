import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { realPostgresAvailable, startRealPostgres } from '../../testing/real-postgres';
import type { TestPostgres } from '../../testing/postgres-test-server';
import { noteWithVector } from '../../testing/text-vectors';
import { JobName, JobView, QueueName } from '../../jobs/job.types';
import { openPostgresStores, PostgresStores } from './postgres.stores';

const MODEL = { modelId: 'race-model', dimension: 4 };
const KEEP_CONSENTS = 20;
const KEEP_RECENT = 5;

const note = (content: string) => noteWithVector(content, MODEL.dimension);

/** Every tally as memory_tallies and its unfolded changes give it, and as a recount of the memories gives it. */
const TALLIED = `SELECT namespace, facet, key, sum(n)::bigint AS n FROM (
    SELECT namespace, facet, key, n FROM memory_tallies UNION ALL SELECT namespace, facet, key, n FROM memory_tally_changes
  ) t GROUP BY namespace, facet, key HAVING sum(n) <> 0 ORDER BY namespace, facet, key`;
const RECOUNTED = `SELECT namespace, facet, key, n FROM (
    SELECT namespace, 'live' AS facet, '' AS key, count(*) AS n FROM memories WHERE deleted_at IS NULL GROUP BY namespace
    UNION ALL SELECT namespace, 'current', '', count(*) FROM memories WHERE deleted_at IS NULL AND superseded_by IS NULL
      GROUP BY namespace
    UNION ALL SELECT namespace, 'deleted', '', count(*) FROM memories WHERE deleted_at IS NOT NULL GROUP BY namespace
    UNION ALL SELECT namespace, 'trash', '', count(DISTINCT content_hash) FROM memories WHERE deleted_at IS NOT NULL
      GROUP BY namespace
    UNION ALL SELECT namespace, 'type', memory_type, count(*) FROM memories WHERE deleted_at IS NULL
      GROUP BY namespace, memory_type
    UNION ALL SELECT m.namespace, 'tag', t.tag, count(*) FROM memory_tags t JOIN memories m ON m.id = t.memory_id
      WHERE m.deleted_at IS NULL GROUP BY m.namespace, t.tag
    UNION ALL SELECT namespace, 'current_type', memory_type, count(*) FROM memories
      WHERE deleted_at IS NULL AND superseded_by IS NULL GROUP BY namespace, memory_type
    UNION ALL SELECT m.namespace, 'current_tag', t.tag, count(*) FROM memory_tags t JOIN memories m ON m.id = t.memory_id
      WHERE m.deleted_at IS NULL AND m.superseded_by IS NULL GROUP BY m.namespace, t.tag
  ) c ORDER BY namespace, facet, key`;

/** A deterministic sequence in [0, 1) per seed, so a failing run can be told apart from another. */
function randomFrom(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

/**
 * Races between replicas: two stores opened on one database, two pools, as two api processes have. PGlite
 * runs one transaction at a time, so these need a real server with pgvector; without one the file
 * registers nothing (docs/development.md).
 */
if (realPostgresAvailable()) {
  describe('two replicas racing on one PostgreSQL database (real server, concurrent sessions)', () => {
    let server: TestPostgres;
    const opened: PostgresStores[] = [];
    const openReplica = async () => {
      const stores = await openPostgresStores({ url: server.url, poolSize: 8, statementTimeoutMs: 30_000 }, MODEL);
      opened.push(stores);
      return stores;
    };
    const closeReplicas = async () => {
      await Promise.all(opened.splice(0).map((stores) => stores.close()));
    };
    before(async () => {
      server = await startRealPostgres();
    });
    after(async () => {
      await closeReplicas();
      await server.close();
    });
    beforeEach(async () => {
      await closeReplicas();
      await server.reset();
    });

    it('starts every replica when several start together on a new database, pgvector not yet created', async () => {
      for (let round = 0; round < 5; round++) {
        await closeReplicas();
        await server.reset();
        const started = await Promise.allSettled([openReplica(), openReplica(), openReplica()]);
        const refused = started.flatMap((outcome) => (outcome.status === 'rejected' ? [String(outcome.reason)] : []));
        assert.deepEqual(refused, [], `round ${round}`);
      }
    });

    it("keeps pending OAuth consents at their cap, and another source's, while a flood opens them through both", async () => {
      const [a, b] = await Promise.all([openReplica(), openReplica()]);
      const now = Date.now();
      const consent = (requestId: string, source: string) => ({
        requestId,
        csrfHash: `csrf-${requestId}`,
        request: '{}',
        expiresAt: now + 600_000,
        source,
      });
      await a.oauth.openConsent(consent('operator-form', 'operator'), now, KEEP_CONSENTS);
      for (let round = 0; round < 3; round++) {
        await Promise.all(
          Array.from({ length: 40 }, (_, index) =>
            (index % 2 ? a : b).oauth.openConsent(consent(`flood-${round}-${index}`, 'flood'), now, KEEP_CONSENTS),
          ),
        );
        const [{ pending }] = await a.db.query<{ pending: number }>(
          'SELECT count(*) AS pending FROM oauth_pending_consents',
        );
        assert.equal(pending, KEEP_CONSENTS, `round ${round}`);
        assert.equal(await b.oauth.findConsent('operator-form', 'csrf-operator-form', now), '{}', `round ${round}`);
      }
    });

    it('counts every use when both flush overlapping batches in different orders, past 10,000 memories', async () => {
      const [a, b] = await Promise.all([openReplica(), openReplica()]);
      // At this size the planner looks each batch entry up by id in the batch's order (a nested loop).
      await a.db.query(
        `INSERT INTO memories (namespace, content_hash, content, memory_type, created_at, updated_at)
         SELECT 'default', md5(i::text), 'memory ' || i, 'note', i, i FROM generate_series(1, 12000) i`,
      );
      await a.db.query('ANALYZE memories');
      const hot = (await a.db.query<{ id: number }>('SELECT id FROM memories ORDER BY id LIMIT 40')).map(
        (row) => row.id,
      );
      const flushes = Array.from({ length: 60 }, (_, flush) => {
        // Each flush lists the hot memories in its own first-use order.
        const order = [...hot.slice(flush % hot.length), ...hot.slice(0, flush % hot.length)];
        if (flush % 2) order.reverse();
        const batch = order.map((memoryId) => ({ memoryId, retrievals: 1, fetches: 0, lastUsedAt: flush }));
        return (flush % 2 ? a : b).usage.addUses(batch);
      });
      const failed = (await Promise.allSettled(flushes)).filter((outcome) => outcome.status === 'rejected');
      assert.equal(failed.length, 0);
      const [{ retrievals }] = await a.db.query<{ retrievals: number }>(
        'SELECT sum(retrievals)::integer AS retrievals FROM memory_usage',
      );
      assert.equal(retrievals, 60 * hot.length);
    });

    it("stores batches with texts in common from both at once, each text once, ids in each batch's order", async () => {
      const [a, b] = await Promise.all([openReplica(), openReplica()]);
      for (let round = 0; round < 10; round++) {
        const texts = Array.from({ length: 12 }, (_, index) => note(`round ${round} text ${index}`));
        const [first, second] = await Promise.all([
          a.memories.insertMany(texts),
          b.memories.insertMany([...texts].reverse()),
        ]);
        for (const outcomes of [first, second]) {
          const created = outcomes.filter((outcome) => outcome.created).map((outcome) => outcome.memory.id);
          assert.deepEqual(
            created,
            [...created].sort((x, y) => x - y),
            `round ${round}: ids in the batch's order`,
          );
        }
        assert.deepEqual(
          second.map((outcome) => outcome.memory.contentHash).reverse(),
          first.map((outcome) => outcome.memory.contentHash),
          `round ${round}: each outcome in its batch's place`,
        );
        assert.equal(
          first.filter((outcome) => outcome.created).length + second.filter((outcome) => outcome.created).length,
          texts.length,
          `round ${round}: each text stored once`,
        );
      }
    });

    it('links one of two memories to the other when both link them in opposite directions at once', async () => {
      const [a, b] = await Promise.all([openReplica(), openReplica()]);
      for (let round = 0; round < 10; round++) {
        const [x, y] = (await a.memories.insertMany([note(`older ${round}`), note(`newer ${round}`)])).map(
          (outcome) => outcome.memory,
        );
        const outcomes = await Promise.all([
          a.memories.linkSupersession('default', x.id, y.id, 1),
          b.memories.linkSupersession('default', y.id, x.id, 2),
        ]);
        const refusals = outcomes.map((outcome) => ('refused' in outcome ? outcome.refused : 'linked')).sort();
        assert.deepEqual(refusals, ['already_superseded', 'linked'], `round ${round}`);
      }
    });

    it('keeps every tally equal to a recount while three replicas write two namespaces at once, across many folds', async () => {
      const replicas = await Promise.all([openReplica(), openReplica(), openReplica()]);
      const namespaces = ['default', 'team'];
      const tags = ['work', 'travel', 'home', 'urgent'];
      // Few texts, so writers keep meeting on the same memories, tombstones and tags.
      const texts = Array.from({ length: 10 }, (_, index) => `shared text ${index}`);
      const writer = async (seed: number): Promise<number> => {
        const random = randomFrom(seed);
        const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)];
        const { memories } = replicas[seed % replicas.length];
        let failures = 0;
        for (let step = 0; step < 150; step++) {
          const namespace = pick(namespaces);
          const text = pick(texts);
          const draft = { ...note(text), namespace, tags: tags.filter(() => random() < 0.4) };
          const live = () => memories.findLiveByHash(namespace, draft.contentHash);
          const op = pick(['store', 'store', 'delete', 'restore', 'purge', 'supersede', 'retag']);
          try {
            if (op === 'store') await memories.insertMany([draft]);
            const found = op === 'store' || op === 'purge' || op === 'restore' ? undefined : await live();
            if (op === 'delete' && found) await memories.softDelete(found.id, Date.now());
            if (op === 'retag' && found) await memories.update(found.id, namespace, { tags: draft.tags, updatedAt: 2 });
            if (op === 'supersede' && found) {
              const next = { ...note(pick(texts)), namespace, tags: draft.tags, memoryType: pick(['note', 'fact']) };
              await memories.insertSuperseding(found.id, next, Date.now());
            }
            if (op === 'purge') await memories.purgeDeleted(namespace, draft.contentHash);
            const tombstone = op === 'restore' && (await memories.findDeletedByHash(namespace, draft.contentHash));
            if (tombstone) await memories.restoreDeleted(tombstone.id, namespace, draft.embedding!, Date.now());
          } catch {
            // A write that fails rolls back whole, its tally changes with it: the race here is the tallies'.
            failures += 1;
          }
        }
        return failures;
      };
      const tallyWrites = async () =>
        (await replicas[0].db.query<{ n: number }>('SELECT last_value AS n FROM memory_tally_writes'))[0].n;
      const first = await tallyWrites();
      // Four rounds of 16 writers (2,400 writes each), compared after each: a fold loses or double-counts
      // only when a commit falls inside it, so more folds make a faulty one show.
      for (let round = 0; round < 4; round++) {
        const failures = await Promise.all(Array.from({ length: 16 }, (_, worker) => writer(round * 100 + worker + 1)));
        const failed = failures.reduce((sum, n) => sum + n, 0);
        assert.ok(failed < 24, `round ${round}: ${failed} of 2,400 writes failed`);
        assert.deepEqual(await replicas[1].db.query(TALLIED), await replicas[1].db.query(RECOUNTED), `round ${round}`);
      }
      // One statement in 64 that changes a tally folds (postgres-memory-tallies.ts).
      const writes = (await tallyWrites()) - first;
      assert.ok(writes >= 64 * 40, `${writes} statements changed tallies`);
    });

    it('keeps no more cancellations per credential, nor proposal sets per namespace, than their bounds', async () => {
      const [a, b] = await Promise.all([openReplica(), openReplica()]);
      const racing = (write: (replica: PostgresStores, index: number) => Promise<void>) =>
        Promise.all(Array.from({ length: 40 }, (_, index) => write(index % 2 ? a : b, index)));
      await racing((replica, index) =>
        replica.cancellations.record('credential', 'caller', `request-${index}`, Date.now(), KEEP_RECENT),
      );
      const proposals = { jobId: 'job', settings: {}, summary: {}, items: [] };
      await racing((replica, index) =>
        replica.consolidation.save(
          { ...proposals, id: `set-${index}`, namespace: 'default', createdAt: index },
          KEEP_RECENT,
        ),
      );
      const [{ cancellations, sets }] = await a.db.query<{ cancellations: number; sets: number }>(
        `SELECT (SELECT count(*) FROM mcp_cancellations) AS cancellations,
                (SELECT count(*) FROM consolidation_sets) AS sets`,
      );
      assert.deepEqual({ cancellations, sets }, { cancellations: KEEP_RECENT, sets: KEEP_RECENT });
    });

    it('ends each job of a dead api once when both replicas take its jobs over at once', async () => {
      const [a, b] = await Promise.all([openReplica(), openReplica()]);
      const interrupt = (job: JobView): JobView => ({ ...job, state: 'failed', error_code: 'interrupted' });
      for (let round = 0; round < 50; round++) {
        const ids = Array.from({ length: 4 }, (_, index) => `job-${round}-${index}`);
        for (const [index, id] of ids.entries()) {
          const job = { id, name: JobName.Backup, queue: QueueName.Maintenance, progress: 0, attempts: 0 };
          const state = index % 2 ? 'active' : 'waiting';
          await a.jobRecords.save({ ...job, state, data: { reason: 'manual' }, created_at: '' }, `dead-${round}`);
        }
        const taken = await Promise.all([
          a.jobRecords.takeOver(`dead-${round}`, 'replica-a', interrupt),
          b.jobRecords.takeOver(`dead-${round}`, 'replica-b', interrupt),
        ]);
        const ended = taken.flatMap((outcome) => outcome.ended.map((job) => job.id));
        assert.deepEqual(ended.sort(), ids, `round ${round}: each ended by one replica`);
      }
    });
  });
}
