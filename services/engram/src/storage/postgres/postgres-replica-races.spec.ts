import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { realPostgresAvailable, startRealPostgres } from '../../testing/real-postgres';
import type { TestPostgres } from '../../testing/postgres-test-server';
import { noteWithVector } from '../../testing/text-vectors';
import { openPostgresStores, PostgresStores } from './postgres.stores';

const MODEL = { modelId: 'race-model', dimension: 4 };
const KEEP_CONSENTS = 20;
const KEEP_RECENT = 5;

const note = (content: string) => noteWithVector(content, MODEL.dimension);

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
  });
}
