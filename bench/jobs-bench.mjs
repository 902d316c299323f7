#!/usr/bin/env node
/**
 * Job benchmarks: backup time and size, restore time, the longest pause a concurrent reader sees
 * during each, the reindex switch at 100k memories, and reindex throughput with the local model.
 * Writes bench/results/jobs.json and regenerates docs/benchmarks.md.
 * `--storage postgres`: backup (logical export), restore and reindex on the PostgreSQL adapter, served by
 * PGlite over the wire (lib/storage-backend.mjs), at 10k memories and 1,000 reindexed by default; no
 * reindex switch row (the staged copy is SQLite's). Writes bench/results/jobs-postgres.json.
 *   node bench/jobs-bench.mjs [--storage sqlite|postgres] [--memories 100000] [--reindex 5000] [--note <text>]
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { composedMemories, embeddedSentences, startEmbedder, writeDatabase } from './lib/dataset.mjs';
import { writePostgresDatabase } from './lib/postgres-storage-bench.mjs';
import { PGLITE_LABEL, parseStorageBackend, startBenchPostgres } from './lib/storage-backend.mjs';
import { fromDist, ROOT } from './lib/dist.mjs';
import { writeBenchmarksDoc } from './lib/render-doc.mjs';
import { machineInfo } from './lib/machine.mjs';

const { loadConfig } = fromDist('config/config.loader.js');
const { createWorkerContext } = fromDist('worker/worker-context.js');
const { BackupService, sizeOf } = fromDist('backups/backup.service.js');
const { ReindexService } = fromDist('reindex/reindex.service.js');
const { SqliteReindexStaging } = fromDist('reindex/sqlite-reindex.staging.js');
const { SqliteFileRepository } = fromDist('storage/sqlite-file/sqlite-file.repository.js');
const { SearchStore } = fromDist('storage/search.store.js');
const { SQLITE_DATABASE } = fromDist('storage/storage.module.js');
const { DEFAULT_PRAGMAS } = fromDist('config/sqlite-pragmas.js');

const { values: args } = parseArgs({
  options: {
    storage: { type: 'string', default: 'sqlite' },
    /** Conditions of the run printed beside its figures, e.g. other load on the machine. */
    note: { type: 'string' },
    memories: { type: 'string' },
    reindex: { type: 'string' },
  },
});
let storage;
try {
  storage = parseStorageBackend(args.storage);
} catch (error) {
  process.stderr.write(`jobs-bench: ${error.message}\n`);
  process.exit(2);
}
/** PGlite writes a few dozen memories/s into its HNSW index: 10k keeps the PostgreSQL run to minutes. */
const SIZES = { sqlite: { memories: 100_000, reindex: 5_000 }, postgres: { memories: 10_000, reindex: 1_000 } };
const MEMORIES = Number(args.memories ?? SIZES[storage].memories);
const REINDEX_MEMORIES = Number(args.reindex ?? SIZES[storage].reindex);
const work = mkdtempSync(join(tmpdir(), 'engram-jobs-bench-'));
const log = (message) => process.stderr.write(`[jobs-bench] ${message}\n`);
const round = (value, digits = 1) => Math.round(value * 10 ** digits) / 10 ** digits;
const SILENT_JOB = { jobId: 'bench', progress: async () => undefined, throwIfCancelled: async () => undefined };

/**
 * A reader on the job process's own connection (the api's, in the embedded mode): every 10 ms, a
 * vector search over every memory (quantised on SQLite) plus a keyword search. A read's pause is how
 * late it started (the event loop was busy) plus how long it took; the longest is what a client would see.
 * It searches through the SearchStore port, as the api does on either backend.
 */
function startReader(context, vector) {
  const filter = { namespace: 'default' };
  const search = context.get(SearchStore);
  const INTERVAL_MS = 10;
  let longest = 0;
  let reads = 0;
  let running = true;
  const done = (async () => {
    while (running) {
      const due = performance.now() + INTERVAL_MS;
      await new Promise((resolve) => setTimeout(resolve, INTERVAL_MS));
      await search.vectorCandidates(vector, filter, 100);
      await search.keywordCandidates(['garden'], filter, 100);
      reads++;
      longest = Math.max(longest, performance.now() - due);
    }
  })();
  return async () => {
    running = false;
    await done;
    return { longestPauseMs: round(longest), reads };
  };
}

async function timed(label, work) {
  log(label);
  const started = performance.now();
  const value = await work();
  return { value, seconds: round((performance.now() - started) / 1000, 2) };
}

async function openContext(dbPath) {
  const config = loadConfig({
    env: {
      MCP_MEMORY_SQLITE_PATH: dbPath,
      MCP_MEMORY_BASE_DIR: work,
      LOG_LEVEL: 'error',
      MCP_BACKUP_MAX_COUNT: '100',
      ...pg?.env,
    },
    cwd: work,
  });
  const context = await createWorkerContext(config, 'cli', false);
  await context.init();
  return context;
}

/** The PGlite server with `--storage postgres`, emptied before each database is written. */
let pg;

/** A new database of these memories, bound to the model, in the backend under test. */
async function writeStore(path, rows, model) {
  if (!pg) return writeDatabase(path, rows, model);
  await pg.reset();
  return writePostgresDatabase(pg.settings, rows, model);
}

try {
  if (storage === 'postgres') pg = await startBenchPostgres();
  const embedder = await startEmbedder();
  const model = { modelId: embedder.modelId, dimension: embedder.dimension };
  log('embedding the sentence material');
  const material = await embeddedSentences(embedder, 2000);
  const memories = composedMemories(material, MEMORIES);
  const dbPath = join(work, 'engram.db');
  log(`writing ${MEMORIES} memories`);
  await writeStore(dbPath, memories, model);
  await embedder.close();

  const context = await openContext(dbPath);
  const backups = context.get(BackupService);
  const probeVector = memories[7].vector;

  // PostgreSQL searches its HNSW index: no in-memory mirror to load.
  const mirrorLoad = pg
    ? undefined
    : await timed('first search (loads the in-memory vector mirror)', async () =>
        context.get(SearchStore).vectorCandidates(probeVector, { namespace: 'default' }, 100),
      );
  let stopReader = startReader(context, probeVector);
  await new Promise((resolve) => setTimeout(resolve, 2000));
  const idle = await stopReader();

  stopReader = startReader(context, probeVector);
  const backup = await timed('backup', () => backups.createBackup('manual'));
  const duringBackup = await stopReader();

  stopReader = startReader(context, probeVector);
  const restore = await timed('restore', () => backups.restoreBackup(backup.value.id));
  const duringRestore = await stopReader();

  const switched = pg ? undefined : await stagedSwitch(context, dbPath, model, probeVector);
  await context.close();

  log(`reindexing ${REINDEX_MEMORIES} memories with the local model`);
  const smallPath = join(work, 'reindex.db');
  await writeStore(smallPath, memories.slice(0, REINDEX_MEMORIES), {
    modelId: 'previous-model',
    dimension: model.dimension,
  });
  const small = await openContext(smallPath);
  const reindex = await timed('reindex', () => small.get(ReindexService).reindex(SILENT_JOB));
  await small.close();

  const results = {
    kind: 'engram-jobs-bench',
    name: pg ? 'jobs-postgres' : 'jobs',
    storage: pg ? PGLITE_LABEL : 'sqlite',
    ...(args.note ? { note: args.note } : {}),
    date: new Date().toISOString(),
    machine: machineInfo(),
    memories: MEMORIES,
    readerIdle: idle,
    mirrorLoadSeconds: mirrorLoad?.seconds,
    backup: {
      seconds: backup.seconds,
      sizeBytes: sizeOf(backup.value),
      databaseBytes: backup.value.database.bytes,
      reader: duringBackup,
    },
    restore: {
      seconds: restore.seconds,
      swapTransactionMs: restore.value.swap_transaction_ms,
      reader: duringRestore,
    },
    reindexSwitch: switched,
    reindex: {
      memories: REINDEX_MEMORIES,
      seconds: reindex.seconds,
      memoriesPerSecond: round(REINDEX_MEMORIES / reindex.seconds),
      model: model.modelId,
      switchTransactionMs: reindex.value.switch_transaction_ms,
    },
  };
  const file = join(ROOT, 'bench', 'results', `${results.name}.json`);
  writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
  await writeBenchmarksDoc(join(ROOT, 'bench', 'results'), join(ROOT, 'docs', 'benchmarks.md'));
  log(`results in ${file}`);
  process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
} finally {
  await pg?.close();
  rmSync(work, { recursive: true, force: true });
}
process.exit(0);

/** SQLite's reindex switch over every memory: staged vectors copied from the live ones, then made live. */
async function stagedSwitch(context, dbPath, model, probeVector) {
  log('reindex switch over every memory (staged vectors copied from the live ones)');
  const db = context.get(SQLITE_DATABASE);
  const files = context.get(SqliteFileRepository);
  // Staged under the live model: the reader keeps searching after the switch (another model's
  // vectors would make this process refuse, as it must).
  await new SqliteReindexStaging(db, files, { path: dbPath, pragmas: DEFAULT_PRAGMAS }).begin(
    model.modelId,
    model.dimension,
  );
  db.exec(`INSERT INTO reindex_vectors (memory_id, content_hash, embedding)
           SELECT e.memory_id, m.content_hash, e.embedding FROM memory_embeddings e JOIN memories m ON m.id = e.memory_id`);
  const stopReader = startReader(context, probeVector);
  const switched = await files.switchToStagedVectors(dbPath, DEFAULT_PRAGMAS);
  return { transactionMs: switched.transactionMs, vectors: switched.vectors, reader: await stopReader() };
}
