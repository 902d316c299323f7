import { PGlite } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite-pgvector';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { keepQuerySequencesTogether } from './pglite-query-order';
import { createTestDatabase } from './postgres-test-database';

/**
 * A PostgreSQL server with pgvector for tests, where no container runtime exists: PGlite (Postgres
 * compiled to WebAssembly) served over the real wire protocol on a free loopback port, so the adapter
 * talks to it with `pg` over TCP exactly as to a real server. Single-threaded: its connections are
 * multiplexed onto one session and transactions run one at a time (correct, not concurrent).
 *
 * With ENGRAM_TEST_POSTGRES_URL set (a real server with pgvector installed, reached as a role that may
 * create databases: a CI service container, or `npm run test:postgres`'s own cluster), each start is a
 * new database on that server instead, where sessions are real and race as replicas do.
 */
export interface TestPostgres {
  url: string;
  /** Drops every table, extension and setting: the next open starts from an empty database. */
  reset(): Promise<void>;
  close(): Promise<void>;
}

export async function startTestPostgres(): Promise<TestPostgres> {
  const realServer = process.env.ENGRAM_TEST_POSTGRES_URL;
  if (realServer) return createTestDatabase(realServer);
  const db = await PGlite.create({ extensions: { vector } });
  const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections: 32 });
  keepQuerySequencesTogether(
    (server as unknown as { queryQueue: Parameters<typeof keepQuerySequencesTogether>[0] }).queryQueue,
  );
  await server.start();
  return {
    url: `postgres://postgres:postgres@${server.getServerConn()}/postgres`,
    async reset() {
      await db.exec('DROP SCHEMA public CASCADE; CREATE SCHEMA public;');
    },
    async close() {
      await server.stop();
      await db.close();
    },
  };
}
