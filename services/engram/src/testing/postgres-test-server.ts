import { PGlite } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite-pgvector';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { keepQuerySequencesTogether } from './pglite-query-order';

/**
 * A PostgreSQL server with pgvector for tests, where no container runtime exists: PGlite (Postgres
 * compiled to WebAssembly) served over the real wire protocol on a free loopback port, so the adapter
 * talks to it with `pg` over TCP exactly as to a real server. Single-threaded: its connections are
 * multiplexed onto one session and transactions run one at a time (correct, not concurrent).
 */
export interface TestPostgres {
  url: string;
  /** Drops every table, extension and setting: the next open starts from an empty database. */
  reset(): Promise<void>;
  close(): Promise<void>;
}

export async function startTestPostgres(): Promise<TestPostgres> {
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
