import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { realPostgresAvailable, startRealPostgres } from '../../testing/real-postgres';
import type { TestPostgres } from '../../testing/postgres-test-server';
import { openPostgresStores, PostgresStores } from './postgres.stores';

const MODEL = { modelId: 'race-model', dimension: 4 };

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
  });
}
