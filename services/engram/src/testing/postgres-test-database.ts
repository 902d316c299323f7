import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { TestPostgres } from './postgres-test-server';

/**
 * A new, empty database on a real PostgreSQL server (with pgvector installed), for suites run with
 * ENGRAM_TEST_POSTGRES_URL: each start creates its own database, so test files running side by side
 * never meet, and close drops it with whatever sessions a failed test left open.
 */
export async function createTestDatabase(serverUrl: string): Promise<TestPostgres> {
  const name = `engram_test_${randomBytes(6).toString('hex')}`;
  await asAdmin(serverUrl, (admin) => admin.query(`CREATE DATABASE ${name}`));
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async reset() {
      // pgvector lives in public: dropping the schema drops the extension with it, as on PGlite.
      await asAdmin(url.toString(), (admin) => admin.query('DROP SCHEMA public CASCADE; CREATE SCHEMA public;'));
    },
    async close() {
      await asAdmin(serverUrl, (admin) => admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    },
  };
}

async function asAdmin(url: string, work: (admin: pg.Client) => Promise<unknown>): Promise<void> {
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  try {
    await work(admin);
  } finally {
    await admin.end();
  }
}
