#!/usr/bin/env node
/**
 * What encryption at rest costs: the same store written and searched plaintext, with a raw 256-bit key
 * and with a passphrase (SQLCipher 4 format). Connection open, ingest, keyword and quantised vector
 * search, and a backup copy, through the service's own repositories. Writes bench/results/encryption.json
 * and regenerates docs/benchmarks.md.
 *   node bench/encryption-bench.mjs [--memories 20000]
 */
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Corpus, random } from './lib/corpus.mjs';
import { fromDist, ROOT } from './lib/dist.mjs';
import { machineInfo } from './lib/machine.mjs';
import { writeBenchmarksDoc } from './lib/render-doc.mjs';
import { summarise, timeEach } from './lib/stats.mjs';

const { openSqliteDatabase } = fromDist('storage/sqlite.connection.js');
const { applyDatabaseKey } = fromDist('storage/database-key.js');
const { MemoryRepository } = fromDist('storage/memory.repository.js');
const { SearchRepository } = fromDist('storage/search.repository.js');
const { VectorIndex } = fromDist('storage/vector-index.js');
const { DEFAULT_PRAGMAS } = fromDist('config/sqlite-pragmas.js');
const { copyLiveDatabase } = fromDist('storage/sqlite-file/database-snapshot.js');
const { keywordTerms } = fromDist('search/keyword-terms.js');

const { values: args } = parseArgs({ options: { memories: { type: 'string', default: '20000' } } });
const MEMORIES = Number(args.memories);
const DIMENSION = 512;
const BATCH = 100;
const QUERIES = 200;
const MODES = [
  { mode: 'plaintext', key: undefined },
  { mode: 'raw key', key: 'c0ffee'.repeat(10) + 'c0de' },
  { mode: 'passphrase', key: 'a passphrase of thirty-two chars' },
];
const log = (message) => process.stderr.write(`[encryption-bench] ${message}\n`);
const round = (value, digits = 1) => Math.round(value * 10 ** digits) / 10 ** digits;

function unitVector(next) {
  const vector = new Float32Array(DIMENSION);
  let norm = 0;
  for (let i = 0; i < DIMENSION; i++) {
    vector[i] = next() - 0.5;
    norm += vector[i] * vector[i];
  }
  for (let i = 0; i < DIMENSION; i++) vector[i] /= Math.sqrt(norm);
  return vector;
}

async function benchMode({ mode, key }, texts, work) {
  const path = join(work, `${mode.replace(' ', '-')}.db`);
  const db = openSqliteDatabase(path, DEFAULT_PRAGMAS, key);
  db.prepare("INSERT OR REPLACE INTO settings (key, value) VALUES ('embedding_dimension', ?)").run(String(DIMENSION));
  const vectors = new VectorIndex(db);
  vectors.create(DIMENSION);
  const memories = new MemoryRepository(db, vectors);
  const next = random(7);
  const started = performance.now();
  for (let start = 0; start < texts.length; start += BATCH) {
    memories.insertMany(
      texts.slice(start, start + BATCH).map((content, i) => ({
        namespace: 'default',
        contentHash: `${mode}-${start + i}`,
        content,
        memoryType: 'note',
        metadata: {},
        tags: [],
        createdAt: Date.now(),
        updatedAt: Date.now(),
        embedding: unitVector(next),
      })),
    );
  }
  const ingestPerSecond = texts.length / ((performance.now() - started) / 1000);
  const search = new SearchRepository(db, vectors, memories);
  const all = { namespace: 'default' };
  const queries = texts.slice(0, QUERIES).map((text) => ({ terms: keywordTerms(text), vector: unitVector(next) }));
  const keyword = await timeEach(queries, (q) => search.keywordCandidates(q.terms, all, 100));
  const vector = await timeEach(queries, (q) => search.vectorCandidates(q.vector, all, 100));
  db.close();

  const opens = [];
  for (let i = 0; i < 5; i++) {
    const opened = performance.now();
    const connection = new Database(path, { readonly: true });
    if (key !== undefined) applyDatabaseKey(connection, key);
    connection.prepare('SELECT count(*) FROM sqlite_master').get();
    connection.close();
    opens.push(performance.now() - opened);
  }
  const copyStarted = performance.now();
  copyLiveDatabase(path, join(work, `${mode.replace(' ', '-')}-copy.db`), key);
  const backupCopyMs = performance.now() - copyStarted;
  return {
    mode,
    openMs: summarise(opens).p50,
    ingestPerSecond: Math.round(ingestPerSecond),
    keywordP50Ms: keyword.p50,
    vectorP50Ms: vector.p50,
    backupCopyMs: Math.round(backupCopyMs),
    fileMb: round(statSync(path).size / 2 ** 20),
  };
}

const work = mkdtempSync(join(tmpdir(), 'engram-encryption-bench-'));
try {
  const texts = new Corpus(5).sentences(MEMORIES);
  const results = [];
  for (const mode of MODES) {
    log(`${mode.mode}: ${MEMORIES} memories`);
    results.push(await benchMode(mode, texts, work));
  }
  const output = {
    kind: 'engram-encryption-bench',
    at: new Date().toISOString(),
    machine: { ...machineInfo(), loadAverage: round(loadavg()[0]) },
    command: `node bench/encryption-bench.mjs --memories ${MEMORIES}`,
    memories: MEMORIES,
    dimension: DIMENSION,
    results,
  };
  writeFileSync(join(ROOT, 'bench', 'results', 'encryption.json'), `${JSON.stringify(output, null, 2)}\n`);
  await writeBenchmarksDoc(join(ROOT, 'bench', 'results'), join(ROOT, 'docs', 'benchmarks.md'));
  process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
