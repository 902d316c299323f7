import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import {
  callTool,
  ChangeNote,
  ConnectedClient,
  connectHttpClient,
  connectEngramStdio,
  listenForResourceChanges,
} from '../testing/mcp-client';
import { startTestPostgres, TestPostgres } from '../testing/postgres-test-server';
import { makeTempDir, startTestApp, TestApp } from '../testing/test-app';
import { waitFor } from '../testing/wait-for';

const API_KEY = 'mcp-updates-test-key-0123456789';

const updated = (uri: string): ChangeNote => ({ method: 'notifications/resources/updated', uri });

/** The storage backends, each as the environment pointing a process at a new store of it. */
const BACKENDS = [
  { name: 'SQLite', start: async () => ({ env: {}, stop: async () => undefined }) },
  {
    name: 'PostgreSQL',
    async start() {
      const postgres: TestPostgres = await startTestPostgres();
      return {
        env: { MCP_MEMORY_STORAGE_BACKEND: 'postgres', DATABASE_URL: postgres.url },
        stop: () => postgres.close(),
      };
    },
  },
];

/**
 * Stores a memory through `writer`, edits it and deletes it, waiting after each write until `notes` grew by
 * `perWrite` (what each write announces to the listener): the notes of each write are then its own.
 */
async function storeEditDelete(writer: ConnectedClient, notes: ChangeNote[], perWrite: number, content: string) {
  const stored = await callTool(writer.client, 'memory_store', { content });
  await waitFor(() => notes.length >= perWrite, 'the store announced');
  const hash = stored.structured.content_hash as string;
  await callTool(writer.client, 'memory_update', { content_hash: hash, tags: ['edited'] });
  await waitFor(() => notes.length >= 2 * perWrite, 'the update announced');
  await callTool(writer.client, 'memory_delete', { content_hash: hash });
  await waitFor(() => notes.length >= 3 * perWrite, 'the delete announced');
}

for (const backend of BACKENDS) {
  describe(`MCP memory://recent/{n} announced on every memory write (${backend.name}, real v2 SDK clients)`, () => {
    let api: TestApp;
    let env: Record<string, string>;
    let stop: () => Promise<void>;

    before(async () => {
      ({ env, stop } = await backend.start());
      api = await startTestApp({ MCP_API_KEY: API_KEY, ...env });
    });
    after(async () => {
      await api?.close();
      await stop?.();
    });

    it('tells a listen stream over HTTP of each store, update and delete in its namespace, and nothing of another namespace', async () => {
      const listen = async (namespace: string) =>
        listenForResourceChanges(await connectHttpClient(api.url, API_KEY, 'v2-modern', namespace), {
          resourceSubscriptions: ['memory://recent/5', 'memory://recent/100'],
        });
      const own = await listen('recent-a');
      const other = await listen('recent-b');
      const writerA = await connectHttpClient(api.url, API_KEY, 'v2-modern', 'recent-a');
      const writerB = await connectHttpClient(api.url, API_KEY, 'v2-modern', 'recent-b');
      try {
        await storeEditDelete(writerA, own.notes, 2, 'the newest memory of recent-a');
        const perWrite = [updated('memory://recent/5'), updated('memory://recent/100')];
        assert.deepEqual(own.notes, [...perWrite, ...perWrite, ...perWrite]);

        // recent-b's own write shows what its stream received before it: nothing of recent-a's.
        await callTool(writerB.client, 'memory_store', { content: 'the newest memory of recent-b' });
        await waitFor(() => other.notes.length >= 2, "recent-b's write announced");
        assert.deepEqual(other.notes, perWrite, 'recent-b was told nothing of recent-a');
      } finally {
        await Promise.all([writerA.client.close(), writerB.client.close(), own.close(), other.close()]);
      }
    });

    it('tells a listen stream over stdio (engram mcp on the same store) of each write', async () => {
      const dir = makeTempDir();
      const connected = await connectEngramStdio(dir, {
        MCP_MEMORY_SQLITE_PATH: api.config.storage.sqlitePath,
        ...env,
      });
      const listener = await listenForResourceChanges(connected, { resourceSubscriptions: ['memory://recent/3'] });
      try {
        await storeEditDelete(connected, listener.notes, 1, 'the newest memory over stdio');
        assert.deepEqual(listener.notes, [
          updated('memory://recent/3'),
          updated('memory://recent/3'),
          updated('memory://recent/3'),
        ]);
      } finally {
        await listener.close();
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
}
