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

  it('the owner still finds it', async () => {
    const response = await api.request('POST', '/api/search', {
      body: { query: SECRET, mode: 'keyword', limit: 1 },
      headers: { 'x-engram-namespace': 'mallory' },
    });
    assert.equal(response.body.results[0]?.memory.content, SECRET);
  });
});
