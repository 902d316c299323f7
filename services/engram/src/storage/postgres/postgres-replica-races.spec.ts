import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { realPostgresAvailable, startRealPostgres } from '../../testing/real-postgres';
import type { TestPostgres } from '../../testing/postgres-test-server';
import { openPostgresStores, PostgresStores } from './postgres.stores';

const MODEL = { modelId: 'race-model', dimension: 4 };
const KEEP_CONSENTS = 20;

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
  });
}
