import { nativePgvectorInstalled, startNativePostgres } from './native-postgres-server';
import { createTestDatabase } from './postgres-test-database';
import type { TestPostgres } from './postgres-test-server';

/**
 * Whether a real PostgreSQL server with pgvector is at hand: ENGRAM_TEST_POSTGRES_URL, or this machine's
 * postgresql-15 with pgvector built into it. Specs of races between replicas need one (PGlite runs one
 * transaction at a time) and are not registered without it (docs/development.md).
 */
export function realPostgresAvailable(): boolean {
  return Boolean(process.env.ENGRAM_TEST_POSTGRES_URL) || nativePgvectorInstalled();
}

/** A new database on that server; on a cluster started for it when no server was given. */
export async function startRealPostgres(): Promise<TestPostgres> {
  const given = process.env.ENGRAM_TEST_POSTGRES_URL;
  if (given) return createTestDatabase(given);
  const server = await startNativePostgres();
  const database = await createTestDatabase(server.url).catch(async (error) => {
    await server.close();
    throw error;
  });
  return {
    ...database,
    async close() {
      await database.close();
      await server.close();
    },
  };
}
