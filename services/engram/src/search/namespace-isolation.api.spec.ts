import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as sqliteVec from 'sqlite-vec';
import { contentHash } from '../memories/content-hash';
import {
  hashedBagOfWords,
  OpenAiEmbeddingsTestDouble,
  startOpenAiEmbeddingsTestDouble,
} from '../testing/openai-embeddings.test-double';
import { waitForJob } from '../testing/job-helpers';
import { callTool, connectHttpClient } from '../testing/mcp-client';
import { startTestPostgres, TestPostgres } from '../testing/postgres-test-server';
import { makeTempDir, startTestApp, TestApp } from '../testing/test-app';

const DIMENSION = 16;
/** Above the exact-scan threshold, so searches in the namespace go through the quantised index. */
const OWN_MEMORIES = 5_001;
const SECRET = 'the launch codes are hidden under the blue doormat';

interface SeedRow {
  namespace: string;
  content: string;
  /** The namespace its quantised vector is filed under; a faulty index files it elsewhere. */
  indexedAs?: string;
}

/** Rows written straight into the file, as the repository writes them: memory, float vector, 1-bit vector. */
function seed(path: string, rows: SeedRow[]): void {
  const db = new Database(path);
  sqliteVec.load(db);
  const memory = db.prepare(
    `INSERT INTO memories (namespace, content_hash, content, memory_type, metadata, created_at, updated_at)
     VALUES (?, ?, ?, 'note', '{}', ?, ?)`,
  );
  const embedding = db.prepare('INSERT INTO memory_embeddings (memory_id, embedding) VALUES (?, ?)');
  const bits = db.prepare(
    'INSERT INTO memory_vectors (rowid, namespace, embedding) VALUES (?, ?, vec_quantize_binary(?))',
  );
  db.transaction(() => {
    for (const { namespace, content, indexedAs } of rows) {
      const id = Number(memory.run(namespace, contentHash(content), content, Date.now(), Date.now()).lastInsertRowid);
      const blob = Buffer.from(new Float32Array(hashedBagOfWords(content, DIMENSION)).buffer);
      embedding.run(id, blob);
      bits.run(BigInt(id), indexedAs ?? namespace, blob);
    }
  })();
  db.close();
}

describe("search hydrates only memories of the caller's namespace", () => {
  const dir = makeTempDir();
  let model: OpenAiEmbeddingsTestDouble;
  let api: TestApp;
  const env = () => ({
    ENGRAM_EMBEDDING_PROVIDER: 'openai',
    MCP_EXTERNAL_EMBEDDING_URL: model.url,
    MCP_EXTERNAL_EMBEDDING_MODEL: model.model,
  });

  before(async () => {
    model = await startOpenAiEmbeddingsTestDouble({ dimension: DIMENSION });
    // First start: binds the database to the model and creates the vector tables.
    await (await startTestApp(env(), dir)).close({ keepDir: true });
    seed(join(dir, 'engram.db'), [
      ...Array.from({ length: OWN_MEMORIES }, (_, i) => ({ namespace: 'alice', content: `alice note ${i}` })),
      // An index fault (such as the 16-bit namespace numbers that wrapped past 65,536 namespaces)
      // files mallory's vector under alice.
      { namespace: 'mallory', content: SECRET, indexedAs: 'alice' },
    ]);
    api = await startTestApp(env(), dir);
  });
  after(async () => {
    await api.close();
    await model.close();
  });

  for (const mode of ['semantic', 'hybrid']) {
    it(`a ${mode} search never returns another namespace's memory, even when an index names it`, async () => {
      const response = await api.request('POST', '/api/search', {
        body: { query: SECRET, mode, limit: 20 },
        headers: { 'x-engram-namespace': 'alice' },
      });
      assert.equal(response.status, 200);
      assert.ok(response.body.results.length > 0);
      const contents = response.body.results.map((hit: { memory: { content: string } }) => hit.memory.content);
      assert.deepEqual(
        contents.filter((content: string) => !content.startsWith('alice note')),
        [],
      );
    });
  }

  it("never answers a search from the query vector another namespace's search embedded", async () => {
    const question = 'who was at the board meeting on friday';
    const search = async (namespace: string) => {
      const response = await api.request('POST', '/api/search', {
        body: { query: question, mode: 'semantic' },
        headers: { 'x-engram-namespace': namespace },
      });
      assert.equal(response.status, 200, response.text);
    };
    await search('mallory');
    const embedded = model.requests;
    // Answered from a cache shared by every namespace, alice's search would come back sooner (its
    // processing_time_ms shows it) and tell alice that another namespace had just asked the same.
    await search('alice');
    assert.equal(model.requests, embedded + 1, "alice's query was embedded for alice");
    await search('alice');
    assert.equal(model.requests, embedded + 1, "alice's repeated query comes from alice's own recent queries");
  });

  it('the owner still finds it', async () => {
    const response = await api.request('POST', '/api/search', {
      body: { query: SECRET, mode: 'keyword', limit: 1 },
      headers: { 'x-engram-namespace': 'mallory' },
    });
    assert.equal(response.body.results[0]?.memory.content, SECRET);
  });
});

for (const backend of ['SQLite', 'PostgreSQL'])
  describe(`tenants whose keys are bound to their namespaces learn nothing of each other (${backend})`, () => {
    const BOOTSTRAP = 'isolation-bootstrap-key-0123456789';
    let api: TestApp;
    let postgres: TestPostgres | undefined;
    let tenantA: string;
    let tenantB: string;
    const as = (key: string) => ({ headers: { authorization: `Bearer ${key}` } });
    const createKey = async (namespace: string) =>
      (
        await api.request('POST', '/api/admin/keys', {
          ...as(BOOTSTRAP),
          body: { name: namespace, scopes: ['write'], namespace },
        })
      ).body.key as string;
    const store = async (key: string, content: string, tags: string[] = []) => {
      const stored = await api.request('POST', '/api/memories', { ...as(key), body: { content, tags } });
      assert.equal(stored.status, 201, stored.text);
      return stored.body.content_hash as string;
    };
    const supersede = async (key: string, hash: string, content: string) => {
      const answer = await api.request('POST', `/api/memories/${hash}/supersede`, { ...as(key), body: { content } });
      assert.equal(answer.status, 201, answer.text);
    };
    /** The total of tenant B's probe tag on the page after its first, reached by cursor. */
    const probeTotalAfterCursor = async () => {
      const first = await api.request('GET', '/api/memories?tag=probe&page_size=1', as(tenantB));
      const next = await api.request(
        'GET',
        `/api/memories?tag=probe&page_size=1&cursor=${first.body.next_cursor}`,
        as(tenantB),
      );
      assert.equal(next.status, 200, next.text);
      return next.body.total as number | null;
    };

    before(async () => {
      postgres = backend === 'PostgreSQL' ? await startTestPostgres() : undefined;
      api = await startTestApp({
        MCP_API_KEY: BOOTSTRAP,
        ...(postgres && { MCP_MEMORY_STORAGE_BACKEND: 'postgres', DATABASE_URL: postgres.url }),
      });
      tenantA = await createKey('tenant-a');
      tenantB = await createKey('tenant-b');
      for (const i of [1, 2, 3]) await store(tenantB, `b probe ${i}`, ['probe']);
      // One superseded memory of B's own, so the tag's total needs the superseded memories looked up.
      await supersede(tenantB, await store(tenantB, 'b draft'), 'b final');
    });
    after(async () => {
      await api.close();
      await postgres?.close();
    });

    it("gives a cursor page's total whatever another namespace supersedes", async () => {
      assert.equal(await probeTotalAfterCursor(), 3);
      // Tenant A supersedes more memories than B's tag has: the store's count of them passes B's tag.
      for (const i of [1, 2, 3, 4]) await supersede(tenantA, await store(tenantA, `a draft ${i}`), `a final ${i}`);
      assert.equal(await probeTotalAfterCursor(), 3);
    });

    it('hands out list and trash cursors that hold no number but the time of its own memory', async () => {
      /** The numbers any client can read in a cursor (base64url JSON), but its format version. */
      const numbersIn = (cursor: string) => {
        const found: number[] = [];
        JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'), (key, value) => {
          if (typeof value === 'number' && key !== 'v') found.push(value);
          return value;
        });
        return found;
      };
      // Tenant A stores between B's memories: a row id counting the whole store would show B how many.
      const between = async (round: string) => {
        for (const i of [1, 2, 3]) await store(tenantA, `a between ${round} ${i}`);
      };
      await store(tenantB, 'b walk one', ['walk']);
      await between('walks');
      await store(tenantB, 'b walk two', ['walk']);
      for (const text of ['b bin one', 'b bin two']) {
        const hash = await store(tenantB, text);
        await between(text);
        assert.equal((await api.request('DELETE', `/api/memories/${hash}`, as(tenantB))).status, 200);
      }

      const list = await api.request('GET', '/api/memories?tag=walk&order=oldest&page_size=1', as(tenantB));
      const trash = await api.request('GET', '/api/memories/trash?page_size=1', as(tenantB));
      for (const [page, at] of [
        [list.body, list.body.memories[0].created_at],
        [trash.body, trash.body.memories[0].deleted_at],
      ]) {
        assert.ok(page.next_cursor, JSON.stringify(page));
        assert.deepEqual(numbersIn(page.next_cursor), [Math.round(at * 1000)]);
      }
    });

    it('names the memory a conflict decision kept by its hash, never by its row id', async () => {
      const older = await store(tenantB, 'The office kettle is on the third floor');
      const newer = await store(tenantB, 'The office kettle is not on the third floor');
      const scan = await api.request('POST', '/api/conflicts/scan', as(tenantB));
      assert.equal(scan.status, 202, scan.text);
      await waitForJob((method, path) => api.request(method, path, as(BOOTSTRAP)), scan.body.job_id);
      const listed = await api.request('GET', '/api/conflicts?page_size=100', as(tenantB));
      const { id } = listed.body.conflicts.find(
        (conflict: { older: { content_hash: string }; newer: { content_hash: string } }) =>
          conflict.older.content_hash === older && conflict.newer.content_hash === newer,
      );
      const decide = (body: Record<string, unknown>) =>
        api.request('POST', '/api/conflicts/resolve', { ...as(tenantB), body: { conflict_id: id, ...body } });
      assert.equal((await decide({ action: 'supersede', keep: newer })).status, 200);
      // A row id counts every namespace's memories: shown, it would tell B how many others stored.
      const refused = await decide({ action: 'dismiss' });
      assert.equal(refused.status, 409, refused.text);
      assert.deepEqual(refused.body.details, { conflict_id: id, resolution: 'supersede', kept: newer });
      assert.equal(refused.body.message, `Conflict ${id} was already decided (supersede, keeping ${newer})`);
      const { client } = await connectHttpClient(api.url, tenantB);
      try {
        const again = await callTool(client, 'memory_resolve', { conflict_id: id, action: 'supersede', keep: newer });
        assert.equal(again.text, `Conflict ${id}: supersede, keeping ${newer} (unchanged)`);
      } finally {
        await client.close();
      }
    });

    it("answers another namespace's hash as unknown, live or in the trash, and stores its text as new", async () => {
      const text = 'tenant a keeps its release key in the vault';
      const live = await store(tenantA, text);
      const trashed = await store(tenantA, 'tenant a deleted this note');
      assert.equal((await api.request('DELETE', `/api/memories/${trashed}`, as(tenantA))).status, 200);
      for (const [method, path] of [
        ['GET', `/api/memories/${live}`],
        ['GET', `/api/memories/${live}/history`],
        ['GET', `/api/memories/trash/${trashed}`],
        ['POST', `/api/memories/${trashed}/restore`],
        ['DELETE', `/api/memories/trash/${trashed}`],
      ]) {
        assert.equal((await api.request(method, path, as(tenantB))).status, 404, `${method} ${path}`);
      }
      const { client } = await connectHttpClient(api.url, tenantB);
      try {
        const fetched = await callTool(client, 'fetch', { id: live });
        assert.equal(fetched.isError, true);
        assert.doesNotMatch(fetched.text, /vault/);
      } finally {
        await client.close();
      }
      // Duplicate detection is the namespace's own: a 409 here would tell B that A holds the text (store wants 201).
      await store(tenantB, text);
      assert.equal((await api.request('GET', `/api/memories/trash/${trashed}`, as(tenantA))).status, 200);
    });
  });
