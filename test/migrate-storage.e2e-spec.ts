import Database from 'better-sqlite3';
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Client as PgClient } from 'pg';
import { ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { DIST, runEngram, serviceHelper, startEngram } from './engram-cli';
import { tempDir } from './process-harness';

const { openSqliteStores } = serviceHelper('storage/sqlite/sqlite.stores.js');
const { openPostgresStores } = serviceHelper('storage/postgres/postgres.stores.js');
const { FolderAgentFileStore } = serviceHelper('agent/memory-dir/folder-agent-file.store.js');
const { PostgresAgentFileStore } = serviceHelper('storage/postgres/postgres-agent-file.store.js');
const { DEFAULT_PRAGMAS } = serviceHelper('config/sqlite-pragmas.js');
const { startTestPostgres } = serviceHelper('testing/postgres-test-server.js');
const { startNativePostgres } = serviceHelper('testing/native-postgres-server.js');
const { startOpenAiEmbeddingsTestDouble } = serviceHelper('testing/openai-embeddings.test-double.js');
const { realPostgresAvailable, startRealPostgres } = serviceHelper('testing/real-postgres.js');
const { lockFolderOf } = serviceHelper('storage/sqlite/sqlite.stores.js');
const { StoreLocks } = serviceHelper('storage/locks/store-locks.js');
const { SqliteLockRepository } = serviceHelper('storage/locks/sqlite-lock.repository.js');
const { PostgresLockRepository } = serviceHelper('storage/locks/postgres-lock.repository.js');

/** Where a store's locks are: lock files beside a SQLite file, or advisory locks in a PostgreSQL database. */
type LockPlace = { sqlite: string } | { postgres: string };

/** The store's locks, as every Engram process of that store builds them. */
function locksOf(place: LockPlace): any {
  return 'sqlite' in place
    ? new SqliteLockRepository(lockFolderOf(place.sqlite))
    : new PostgresLockRepository({ url: place.postgres, poolSize: 1, statementTimeoutMs: 10_000 });
}

/** Another process holding a store's locks as a running job does (`restore`, `reindex`, `storeWork`: a backup or an import). */
async function runningJob(place: LockPlace, work: 'restore' | 'reindex' | 'storeWork') {
  const script = `
    const { StoreLocks } = require(${JSON.stringify(join(DIST, 'storage/locks/store-locks.js'))});
    const { SqliteLockRepository } = require(${JSON.stringify(join(DIST, 'storage/locks/sqlite-lock.repository.js'))});
    const { PostgresLockRepository } = require(${JSON.stringify(join(DIST, 'storage/locks/postgres-lock.repository.js'))});
    const place = ${JSON.stringify('sqlite' in place ? { folder: lockFolderOf(place.sqlite) } : place)};
    const locks = new StoreLocks(place.folder
      ? new SqliteLockRepository(place.folder)
      : new PostgresLockRepository({ url: place.postgres, poolSize: 1, statementTimeoutMs: 10000 }));
    // Held until killed: the timer keeps the process and the way to end the work (so the held locks) alive.
    let release;
    const running = new Promise((resolve) => (release = resolve));
    locks[${JSON.stringify(work)}](() => (console.log('held'), running));
    setInterval(() => release, 60000);
  `;
  const child: ChildProcess = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (chunk) => String(chunk).includes('held') && resolve());
    child.once('exit', (code) => reject(new Error(`the job holding the store exited with ${code}`)));
  });
  return {
    async stop() {
      const exited = once(child, 'exit');
      child.kill('SIGKILL');
      await exited;
    },
  };
}

/** Resolves once something else holds the store exclusively (migrate-storage's claim), asking as a backup would. */
async function heldExclusively(place: LockPlace): Promise<void> {
  const locks = locksOf(place);
  for (const deadline = Date.now() + 20_000; ;) {
    const shared = await locks.tryAcquire('store', 'shared');
    if (!shared) return;
    await shared.release();
    assert.ok(Date.now() < deadline, 'the store was not claimed within 20 s');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** A job that starts on `place` while migrate-storage copies: it waits for the copy, then runs `work`. */
function jobStartedMeanwhile(place: LockPlace, work: () => Promise<number>) {
  const events: string[] = [];
  const done = new StoreLocks(locksOf(place)).storeWork(
    async () => {
      events.push('ran');
      return work();
    },
    { whileWaiting: async () => void events.push('waiting') },
  );
  return { events, done };
}

const MODEL = { modelId: 'openai:migrate-e2e-model', dimension: 16 };
const T0 = Date.UTC(2026, 2, 1);

/** A fixed, irregular vector per seed: a copy that re-embedded or rounded would not equal it. */
function vector(seed: number): Float32Array {
  return Float32Array.from({ length: MODEL.dimension }, (_, i) => Math.sin(seed * 7.3 + i * 1.7) / (1 + i / 3));
}

async function until(condition: () => boolean): Promise<void> {
  for (const deadline = Date.now() + 20_000; !condition();) {
    assert.ok(Date.now() < deadline, 'condition not met within 20 s');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function memory(namespace: string, content: string, seed: number, fields: Record<string, unknown> = {}) {
  return {
    namespace,
    contentHash: `hash-${content}`,
    content,
    memoryType: 'note',
    metadata: { seed, nested: { b: 2, a: [1, 'x'] } },
    tags: [`seed-${seed % 2}`, 'migrated'],
    createdAt: T0 + seed,
    updatedAt: T0 + seed * 10,
    embedding: vector(seed),
    ...fields,
  };
}

/** Everything a migration must carry, read through the ports, ids included (the migration keeps them). */
async function snapshot(side: { stores: any; agentFiles: any }) {
  const memories = await side.stores.memories.exportPage(undefined, 0, 10_000, true);
  const vectors = await side.stores.search.embeddingsOf(memories.map((m: any) => m.id));
  const files: Record<string, string> = {};
  for (const namespace of await side.agentFiles.namespaces()) {
    for (const file of await side.agentFiles.list(namespace)) {
      files[`${namespace}/${file.path}`] = await side.agentFiles.read(namespace, file.path);
    }
    files[`${namespace}/.filters`] = await side.agentFiles.readRootFile(namespace, '.filters');
  }
  const clients = (await side.stores.oauth.listClients(T0)).map((client: any) => ({
    clientId: client.clientId,
    secretHash: client.secretHash,
    metadata: client.metadata,
    createdAt: client.createdAt,
    source: client.source,
    grantedAt: client.grantedAt,
  }));
  return {
    memories,
    vectors: [...vectors].sort(([a]: any, [b]: any) => a - b).map(([id, v]: any) => [id, Array.from(v)]),
    keys: await side.stores.apiKeys.listWithSecretHashes(),
    clients,
    files,
    model: await side.stores.settings.embeddingModel(),
  };
}

/** The top vector hit per namespace for a few queries. */
async function topHits(stores: any): Promise<number[]> {
  const hits: number[] = [];
  for (const [namespace, seed] of [
    ['home', 1],
    ['home', 3],
    ['work', 5],
  ] as const) {
    const [best] = await stores.search.vectorCandidates(vector(seed + 0.01), { namespace }, 1);
    hits.push(best.id);
  }
  return hits;
}

describe('engram migrate-storage (real processes, a real SQLite file, PostgreSQL over the wire)', () => {
  let dir: string;
  let pg: any;
  let embeddings: any;
  let env: Record<string, string>;
  let sourcePath: string;
  let sourceFiles: string;
  let original: Awaited<ReturnType<typeof snapshot>>;
  let originalHits: number[];
  const engram = (args: string[]) => runEngram(args, env, dir);
  const openPg = async () => {
    const stores = await openPostgresStores({ url: pg.url, poolSize: 2, statementTimeoutMs: 30_000 });
    return { stores, agentFiles: new PostgresAgentFileStore(stores.db) };
  };

  before(async () => {
    dir = tempDir();
    pg = await startTestPostgres();
    // Configured as the embedder: a migration copies vectors, so it must never be asked for one.
    embeddings = await startOpenAiEmbeddingsTestDouble({ dimension: 16, model: 'migrate-e2e-model' });
    env = {
      ENGRAM_EMBEDDING_PROVIDER: 'openai',
      MCP_EXTERNAL_EMBEDDING_URL: embeddings.url,
      MCP_EXTERNAL_EMBEDDING_MODEL: embeddings.model,
      MCP_MEMORY_SQLITE_PATH: join(dir, 'unused.db'),
    };
    sourcePath = join(dir, 'source.db');
    sourceFiles = join(dir, 'source-memory');
    const stores = openSqliteStores({ path: sourcePath, pragmas: DEFAULT_PRAGMAS, model: MODEL });
    const agentFiles = new FolderAgentFileStore(sourceFiles, stores.fileJournal);
    try {
      const outcomes = await stores.memories.insertMany([
        memory('home', 'the boiler is serviced in October', 1),
        memory('home', 'the car needs new tyres', 2),
        memory('home', 'the spare key is under the mat', 3),
        memory('work', 'the quarterly report is due on the 5th', 4),
        memory('work', 'standup moved to 9:30', 5, { tags: [] }),
      ]);
      const [boiler, , key, , standup] = outcomes.map((outcome: any) => outcome.memory);
      // A deleted memory, and a live one of the same text beside its tombstone.
      await stores.memories.softDelete(key.id, T0 + 100);
      await stores.memories.insertMany([memory('home', 'the spare key is under the mat', 3, { createdAt: T0 + 200 })]);
      // A superseded pair: the boiler memory replaced by a newer version.
      const replaced = await stores.memories.insertSuperseding(
        boiler.id,
        memory('home', 'the boiler is serviced in November', 6),
        T0 + 300,
      );
      assert.ok(replaced.id, JSON.stringify(replaced));
      await stores.memories.softDelete(standup.id, T0 + 400);

      await stores.apiKeys.insert(
        {
          id: 'key-admin',
          name: 'admin',
          prefix: 'egk_admin',
          scopes: ['admin'],
          namespace: null,
          createdAt: T0,
          lastUsedAt: null,
          expiresAt: null,
          revokedAt: null,
        },
        'digest-admin',
      );
      await stores.apiKeys.insert(
        {
          id: 'key-home',
          name: 'home reader',
          prefix: 'egk_home',
          scopes: ['read'],
          namespace: 'home',
          createdAt: T0 + 1,
          lastUsedAt: null,
          expiresAt: T0 + 86_400_000,
          revokedAt: null,
        },
        'digest-home',
      );
      await stores.apiKeys.markUsed('key-home', T0 + 50);
      await stores.apiKeys.revoke('key-admin', T0 + 60);

      const client = {
        clientId: 'connector-1',
        secretHash: null,
        metadata: {
          redirect_uris: ['https://connector.example.com/callback'],
          token_endpoint_auth_method: 'none',
          grant_types: ['authorization_code', 'refresh_token'],
          response_types: ['code'],
          client_name: 'Connector',
        },
        createdAt: T0,
        source: 'registration',
        grantedAt: null,
      };
      await stores.oauth.insertClient(client);
      await stores.oauth.recordApproval(
        client,
        {
          codeHash: 'code-digest',
          clientId: 'connector-1',
          redirectUri: 'https://connector.example.com/callback',
          codeChallenge: 'challenge',
          scopes: ['read'],
          namespace: 'home',
          resource: 'https://engram.example.com/mcp',
          expiresAt: T0 + 60_000,
          usedAt: null,
          familyId: 'family-1',
        },
        T0 + 5,
      );

      await agentFiles.write('home', 'user.md', '# User\n- lives in Leeds\n', 'hand_edit');
      await agentFiles.write('home', 'entities/boiler.md', '# Boiler\n- serviced yearly\n', 'hand_edit');
      await agentFiles.writeRootFile('home', '.filters', 'no health details\n');
      await agentFiles.write('work', 'user.md', '# Work\n- team of five\n', 'hand_edit');

      original = await snapshot({ stores, agentFiles });
      originalHits = await topHits(stores);
    } finally {
      await stores.close();
    }
    assert.equal(original.memories.length, 7);
    assert.equal(original.memories.filter((m: any) => m.deletedAt !== null).length, 2);
    assert.equal(original.memories.filter((m: any) => m.supersededBy !== null).length, 1);
  });

  after(async () => {
    await pg?.close();
    await embeddings?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('moves a SQLite store into PostgreSQL with its vectors, trash, links, keys, clients and files', async () => {
    const run = await engram(['migrate-storage', '--from', sourcePath, '--to', pg.url, '--memory-dir', sourceFiles]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /home\s+4\s+1\s+[0-9a-f]{16}/);
    assert.match(run.stdout, /work\s+1\s+1\s+[0-9a-f]{16}/);
    assert.match(run.stdout, /verified: counts and checksums match/);
    // Not a terminal: plain progress lines, never a redrawn bar.
    assert.match(run.stderr, /^100% copied 7 of 7 memories$/m);
    assert.doesNotMatch(run.stderr, /\r/);

    const target = await openPg();
    try {
      assert.deepEqual(await snapshot(target), original);
      assert.deepEqual(await topHits(target.stores), originalHits);
      // The OAuth code was transient state: not copied.
      const redeemed = await target.stores.oauth.redeemCode('code-digest', 'connector-1', T0 + 10, () => ({
        tokens: [],
        answer: 'issued',
      }));
      assert.equal(redeemed.status, 'unknown');
    } finally {
      await target.stores.close();
    }
    assert.equal(embeddings.requests, 0);
  });

  it('refuses a target that is not empty, naming what it holds (65), and changes nothing', async () => {
    const again = await engram(['migrate-storage', '--from', sourcePath, '--to', pg.url, '--memory-dir', sourceFiles]);
    assert.equal(again.code, 65);
    assert.match(
      again.stderr,
      /is not empty: it holds memories, 2 API keys, 1 OAuth client, agent memory files in 2 namespaces/,
    );
    assert.equal(again.stderr.trim().split('\n').length, 1);
    const target = await openPg();
    try {
      assert.equal((await target.stores.memories.exportPage(undefined, 0, 100, true)).length, 7);
    } finally {
      await target.stores.close();
    }

    // A SQLite file holding only an API key: refused, and left unbound to the source's model.
    const keysOnly = join(dir, 'keys-only.db');
    const held = openSqliteStores({ path: keysOnly, pragmas: DEFAULT_PRAGMAS });
    await held.apiKeys.insert({ ...original.keys[0].record }, 'digest-x');
    await held.close();
    const refused = await engram([
      'migrate-storage',
      '--from',
      pg.url,
      '--to',
      keysOnly,
      '--memory-dir',
      join(dir, 'm'),
    ]);
    assert.equal(refused.code, 65);
    assert.match(refused.stderr, /keys-only\.db is not empty: it holds 1 API key; migrate into an empty database/);
    const after = openSqliteStores({ path: keysOnly, pragmas: DEFAULT_PRAGMAS });
    try {
      assert.equal(await after.settings.embeddingModel(), undefined);
    } finally {
      await after.close();
    }
  });

  it('moves it back from PostgreSQL into a new SQLite file and folder, equal to the original', async () => {
    const backPath = join(dir, 'back.db');
    const backFiles = join(dir, 'back-memory');
    const run = await engram(['migrate-storage', '--from', pg.url, '--to', backPath, '--memory-dir', backFiles]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /verified/);
    const stores = openSqliteStores({ path: backPath, pragmas: DEFAULT_PRAGMAS, model: MODEL });
    try {
      const back = { stores, agentFiles: new FolderAgentFileStore(backFiles, stores.fileJournal) };
      assert.deepEqual(await snapshot(back), original);
      const [copied] = (await back.agentFiles.history('home', 'user.md', { limit: 5 })).versions;
      assert.deepEqual([copied.actor, copied.kind], ['import', 'created'], 'the copy starts the history as an import');
      assert.deepEqual(await topHits(stores), originalHits);
      // The store keeps working: a new memory gets an id past the migrated ones.
      const [stored] = await stores.memories.insertMany([memory('home', 'a memory after the migration', 9)]);
      assert.ok(stored.memory.id > Math.max(...original.memories.map((m: any) => m.id)));
    } finally {
      await stores.close();
    }
    assert.equal(embeddings.requests, 0);
  });

  it('refuses a SQLite side a running job or api holds, in one line naming it (75), leaving the target as it was', async () => {
    const target = join(dir, 'held-by-a-job.db');
    const cases = [
      {
        place: { sqlite: sourcePath },
        work: 'reindex' as const,
        args: ['--from', sourcePath, '--to', pg.url],
        line: `${sourcePath} (--from) is in use by a reindex; retry once it has finished`,
      },
      {
        place: { sqlite: target },
        work: 'storeWork' as const,
        args: ['--from', pg.url, '--to', target],
        line: `${target} (--to) is in use by a backup, an import or an agent run; retry once it has finished`,
      },
      {
        place: { sqlite: target },
        work: 'restore' as const,
        args: ['--from', pg.url, '--to', target],
        line: `${target} (--to) is in use by a restore (or another engram migrate-storage); retry once it has finished`,
      },
    ];
    for (const { place, work, args, line } of cases) {
      const job = await runningJob(place, work);
      try {
        const run = await engram(['migrate-storage', ...args, '--memory-dir', join(dir, 'j')]);
        assert.equal(run.code, 75, run.stderr);
        assert.equal(run.stderr, `engram migrate-storage: ${line}\n`);
      } finally {
        await job.stop();
      }
    }
    const refused = openSqliteStores({ path: target, pragmas: DEFAULT_PRAGMAS });
    try {
      assert.equal(await refused.settings.embeddingModel(), undefined, 'not bound to the source model');
      assert.deepEqual(await refused.memories.exportPage(undefined, 0, 10, true), []);
    } finally {
      await refused.close();
    }

    // An api on the source that runs the backup schedule (no Redis) holds its schedule lock while it runs.
    const api = await startEngram(
      'serve',
      { ...env, MCP_MEMORY_SQLITE_PATH: sourcePath, MCP_BACKUP_SCHEDULE: '0 3 * * *' },
      dir,
      'Engram ready',
    );
    try {
      const run = await engram(['migrate-storage', '--from', sourcePath, '--to', pg.url]);
      assert.equal(run.code, 75, run.stderr);
      assert.equal(
        run.stderr,
        `engram migrate-storage: ${sourcePath} (--from) is in use by a running api (it runs the backup schedule); stop it first\n`,
      );
    } finally {
      await api.stop();
    }
  });

  it('holds a SQLite target for the whole copy: a job started meanwhile waits, then finds the copy done', async () => {
    const target = join(dir, 'held-for-the-copy.db');
    await openSqliteStores({ path: target, pragmas: DEFAULT_PRAGMAS }).close();
    // Another writer makes the copy wait at its first write, after migrate-storage claimed the target.
    const writer = new Database(target);
    writer.exec('BEGIN IMMEDIATE');
    const running = runEngram(
      ['migrate-storage', '--from', pg.url, '--to', target, '--memory-dir', join(dir, 'held-files')],
      { ...env, MCP_MEMORY_SQLITE_PRAGMAS: 'busy_timeout=30000' },
      dir,
    );
    try {
      await heldExclusively({ sqlite: target });
      const job = jobStartedMeanwhile({ sqlite: target }, async () => {
        const stores = openSqliteStores({ path: target, pragmas: DEFAULT_PRAGMAS, model: MODEL });
        try {
          return (await stores.memories.exportPage(undefined, 0, 100, true)).length;
        } finally {
          await stores.close();
        }
      });
      await until(() => job.events.includes('waiting'));
      writer.exec('ROLLBACK');
      const run = await running;
      assert.equal(run.code, 0, run.stderr);
      assert.equal(await job.done, original.memories.length, 'the job ran on the whole copy');
      assert.deepEqual(job.events.slice(-1), ['ran']);
      assert.ok(!job.events.slice(0, -1).includes('ran'));
    } finally {
      if (writer.inTransaction) writer.exec('ROLLBACK');
      writer.close();
      await running;
    }
  });

  if (realPostgresAvailable()) {
    it('refuses a PostgreSQL side a running job holds, and holds a PostgreSQL target for the whole copy (real server)', async () => {
      const server = await startRealPostgres();
      try {
        const place = { postgres: server.url };
        const shown = `postgres://${new URL(server.url).host}${new URL(server.url).pathname}`;
        const restoring = await runningJob(place, 'restore');
        try {
          const run = await engram([
            'migrate-storage',
            '--from',
            sourcePath,
            '--to',
            server.url,
            '--memory-dir',
            sourceFiles,
          ]);
          assert.equal(run.code, 75, run.stderr);
          assert.equal(
            run.stderr,
            `engram migrate-storage: ${shown} (--to) is in use by a restore (or another engram migrate-storage); ` +
              'retry once it has finished\n',
          );
        } finally {
          await restoring.stop();
        }
        const reindexing = await runningJob(place, 'reindex');
        try {
          const run = await engram(['migrate-storage', '--from', server.url, '--to', join(dir, 'from-held-pg.db')]);
          assert.equal(run.code, 75, run.stderr);
          assert.equal(
            run.stderr,
            `engram migrate-storage: ${shown} (--from) is in use by a reindex; retry once it has finished\n`,
          );
        } finally {
          await reindexing.stop();
        }

        // The copy's first insert of memories waits for another session's lock, after the target was claimed.
        const blocker = new PgClient({ connectionString: server.url });
        await blocker.connect();
        await blocker.query('BEGIN');
        await blocker.query('LOCK TABLE memories IN EXCLUSIVE MODE');
        const running = engram([
          'migrate-storage',
          '--from',
          sourcePath,
          '--to',
          server.url,
          '--memory-dir',
          sourceFiles,
        ]);
        try {
          await heldExclusively(place);
          const job = jobStartedMeanwhile(place, async () => {
            const stores = await openPostgresStores({ url: server.url, poolSize: 1, statementTimeoutMs: 30_000 });
            try {
              return (await stores.memories.exportPage(undefined, 0, 100, true)).length;
            } finally {
              await stores.close();
            }
          });
          await until(() => job.events.includes('waiting'));
          await blocker.query('COMMIT');
          const run = await running;
          assert.equal(run.code, 0, run.stderr);
          assert.equal(await job.done, original.memories.length, 'the job ran on the whole copy');
          assert.ok(!job.events.slice(0, -1).includes('ran'));
        } finally {
          await blocker.end();
          await running;
        }
      } finally {
        await server.close();
      }
    });
  }

  it('answers bad arguments with 64 and a reason, and an unreachable database with one line (69)', async () => {
    const cases: [string[], RegExp][] = [
      [['migrate-storage', '--to', pg.url], /--from is required/],
      [['migrate-storage', '--from', sourcePath], /--to is required/],
      [['migrate-storage', '--from', sourcePath, '--to', join(dir, 'other.db')], /both SQLite files/],
      [['migrate-storage', '--from', pg.url, '--to', 'postgresql://x@127.0.0.1/db'], /both PostgreSQL databases/],
      [['migrate-storage', '--from', sourcePath, '--to', pg.url, '--bogus'], /unknown option --bogus/],
      [['migrate-storage', '--from', sourcePath, '--to', pg.url, 'extra'], /unexpected "extra"/],
    ];
    for (const [args, problem] of cases) {
      const run = await engram(args);
      assert.equal(run.code, 64, `${args.join(' ')}: ${run.stderr}`);
      assert.match(run.stderr, problem);
    }
    const missing = await engram(['migrate-storage', '--from', join(dir, 'nope.db'), '--to', pg.url]);
    assert.equal(missing.code, 66);
    assert.match(missing.stderr, /no database at .*nope\.db \(--from\)/);

    const unreachable = await engram([
      'migrate-storage',
      '--from',
      sourcePath,
      '--to',
      'postgres://engram:secret@127.0.0.1:1/engram',
      '--memory-dir',
      sourceFiles,
    ]);
    assert.equal(unreachable.code, 69, unreachable.stderr);
    assert.equal(
      unreachable.stderr,
      'engram migrate-storage: cannot reach postgres://127.0.0.1:1/engram (--to): connect ECONNREFUSED 127.0.0.1:1; ' +
        'check the URL and that the server runs\n',
    );
  });

  it('says a side held by another writer is busy, one line ending "retry shortly", and exits 75', async () => {
    const fast = { ...env, MCP_MEMORY_SQLITE_PRAGMAS: 'busy_timeout=200' };
    // A target as `engram serve` leaves a new store (migrated, no model yet), its write lock held elsewhere
    // (a restore's swap, a writer's long transaction): binding it to the source's model must wait for it.
    const target = join(dir, 'held-target.db');
    await openSqliteStores({ path: target, pragmas: DEFAULT_PRAGMAS }).close();
    // A source as an older build left it (its last migration not applied): opening it runs that migration,
    // which needs the write lock; a source already migrated is only read, which a writer never blocks.
    const source = join(dir, 'held-source.db');
    await openSqliteStores({ path: source, pragmas: DEFAULT_PRAGMAS, model: MODEL }).close();
    const older = new Database(source);
    older.exec('DELETE FROM schema_migrations WHERE version = (SELECT max(version) FROM schema_migrations)');
    older.close();
    const locked = 'the database is locked by a long write elsewhere (a restore or reindex switch); retry shortly';
    const cases = [
      // From the store the first case moved into PostgreSQL, bound to its model.
      { from: pg.url, to: target, held: target, line: `cannot open ${target} (--to) now: ${locked}` },
      { from: source, to: pg.url, held: source, line: `cannot open ${source} (--from) now: ${locked}`, reset: true },
      // From an empty store bound to no model: the target opens without writing, and the copy's first write waits.
      {
        from: pg.url,
        to: target,
        held: target,
        line: `the copy into ${target} stopped part-way: ${locked}, into an empty target (this one may hold part of the copy)`,
      },
    ];
    for (const { from, to, held, line, reset } of cases) {
      if (reset) await pg.reset();
      const holder = new Database(held);
      holder.exec('BEGIN IMMEDIATE');
      try {
        const args = ['migrate-storage', '--from', from, '--to', to, '--memory-dir', join(dir, 'h')];
        const run = await runEngram(args, fast, dir);
        assert.equal(run.code, 75, run.stderr);
        assert.equal(run.stderr.replace(/^\d+% copied .*\n/gm, ''), `engram migrate-storage: ${line}\n`);
      } finally {
        holder.exec('ROLLBACK');
        holder.close();
      }
    }
  });

  it('says a login PostgreSQL refuses (a wrong password, no such database) in one line without the password, and exits 78', async () => {
    const server = await startNativePostgres();
    try {
      const address = new URL(server.url).host;
      for (const [url, reason] of [
        [
          server.url.replace('postgres:postgres@', 'postgres:Wr0ng-s3cret@'),
          'password authentication failed for user "postgres"',
        ],
        [server.url.replace(/\/postgres$/, '/missing'), 'database "missing" does not exist'],
      ]) {
        const run = await engram(['migrate-storage', '--from', sourcePath, '--to', url, '--memory-dir', sourceFiles]);
        assert.equal(run.code, 78, run.stderr);
        const database = `postgres://${address}${new URL(url).pathname}`;
        assert.equal(
          run.stderr,
          `engram migrate-storage: ${database} (--to) refused the login: ${reason}; ` +
            'check the user, password and database in the URL\n',
        );
      }
    } finally {
      await server.close();
    }
  });

  it('refuses a folder or an empty file as --from (66), leaving the empty file empty', async () => {
    const folder = join(dir, 'a-folder.db');
    mkdirSync(folder);
    const empty = join(dir, 'empty.db');
    writeFileSync(empty, '');
    for (const [from, problem] of [
      [folder, `${folder} is a directory, not a database`],
      [empty, `${empty} is an empty file, not a database`],
    ]) {
      const run = await engram(['migrate-storage', '--from', from, '--to', pg.url]);
      assert.equal(run.code, 66, run.stderr);
      assert.equal(run.stderr, `engram migrate-storage: ${problem} (--from)\n`);
    }
    assert.equal(statSync(empty).size, 0, 'the empty file is still empty');
  });

  it('says in full why a --from file is not a SQLite database, as configuration to check (78)', async () => {
    const text = join(dir, 'notes.db');
    writeFileSync(text, 'not a database, only text\n'.repeat(200));
    const run = await engram(['migrate-storage', '--from', text, '--to', pg.url]);
    assert.equal(run.code, 78, run.stderr);
    assert.equal(
      run.stderr,
      `engram migrate-storage: cannot open ${text} (--from): ${text} is encrypted (or not a SQLite database): ` +
        'set ENGRAM_DB_ENCRYPTION_KEY or ENGRAM_DB_ENCRYPTION_KEY_FILE\n',
    );
  });
});
