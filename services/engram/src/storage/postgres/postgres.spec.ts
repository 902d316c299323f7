import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { StoreBusy } from '../../common/domain-errors';
import { startTestPostgres, TestPostgres } from '../../testing/postgres-test-server';
import { openPostgresDatabase } from './postgres.connection';
import { POSTGRES_MIGRATIONS } from './postgres.migrations';
import { PostgresConfig } from '../../config/config.types';

const MODEL = { modelId: 'pg-model', dimension: 8 };

/** What only the PostgreSQL adapter does; shared behaviour is in storage-contract.spec.ts. */
describe('PostgreSQL adapter', () => {
  let server: TestPostgres;
  let settings: PostgresConfig;
  before(async () => {
    server = await startTestPostgres();
    settings = { url: server.url, poolSize: 4, statementTimeoutMs: 30_000 };
  });
  after(() => server.close());
  beforeEach(() => server.reset());

  it('applies each migration once when several replicas start together, and records it', async () => {
    const replicas = await Promise.all([1, 2, 3].map(() => openPostgresDatabase(settings, MODEL)));
    const rows = await replicas[0].query<{ version: number; name: string }>(
      'SELECT version, name FROM schema_migrations ORDER BY version',
    );
    assert.deepEqual(
      rows,
      POSTGRES_MIGRATIONS.map(({ version, name }) => ({ version, name })),
    );
    const [index] = await replicas[0].query<{ indexdef: string }>(
      "SELECT indexdef FROM pg_indexes WHERE indexname = 'memory_embeddings_hnsw'",
    );
    assert.match(index.indexdef, /USING hnsw \(embedding vector_cosine_ops\)/);
    await Promise.all(replicas.map((db) => db.close()));
  });

  it('refuses a database whose schema is newer than this build', async () => {
    const db = await openPostgresDatabase(settings, MODEL);
    await db.query("INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, 'future', 0)");
    await db.close();
    await assert.rejects(
      () => openPostgresDatabase(settings, MODEL),
      /schema is version 999, newer than this Engram build/,
    );
  });

  it('answers StoreBusy (503), not an internal error, when every connection stays taken', async () => {
    const db = await openPostgresDatabase({ ...settings, poolSize: 1, statementTimeoutMs: 300 }, MODEL);
    let release!: () => void;
    const held = db.transaction(() => new Promise<void>((resolve) => (release = resolve)));
    await assert.rejects(
      () => db.query('SELECT 1'),
      (error) => error instanceof StoreBusy && error.status === 503,
    );
    release();
    await held;
    assert.deepEqual(await db.query('SELECT 1 AS one'), [{ one: 1 }]);
    await db.close();
  });
});
