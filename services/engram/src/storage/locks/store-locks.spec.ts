import assert from 'node:assert/strict';
import { ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { NativePostgres, startNativePostgres } from '../../testing/native-postgres-server';
import { makeTempDir } from '../../testing/test-app';
import { LockRepository } from './lock.repository';
import { PostgresLockRepository } from './postgres-lock.repository';
import { SqliteLockRepository } from './sqlite-lock.repository';
import { StoreLocks } from './store-locks';

/** Where one test's locks live: lock files in a folder, or advisory locks in a database of its own. */
type LockPlace = { kind: 'sqlite'; folder: string } | { kind: 'postgres'; url: string };

/** The same construction here and in the holder processes. */
function repositoryOf(place: LockPlace): LockRepository {
  return place.kind === 'sqlite'
    ? new SqliteLockRepository(place.folder)
    : new PostgresLockRepository({ url: place.url, poolSize: 1, statementTimeoutMs: 10_000 });
}

type LockedWork = 'restore' | 'reindex' | 'storeWork' | 'archiveMemoryDir' | 'writeMemoryDir';

/**
 * Another process (plain node, loading the built lock code) that takes a lock for `work` and holds it
 * until told to let go or killed; `held` resolves once it holds it.
 */
function holder(place: LockPlace, work: LockedWork) {
  const script = `
    const { StoreLocks } = require(${JSON.stringify(join(__dirname, 'store-locks.js'))});
    const { SqliteLockRepository } = require(${JSON.stringify(join(__dirname, 'sqlite-lock.repository.js'))});
    const { PostgresLockRepository } = require(${JSON.stringify(join(__dirname, 'postgres-lock.repository.js'))});
    const place = ${JSON.stringify(place)};
    const locks = new StoreLocks(place.kind === 'sqlite'
      ? new SqliteLockRepository(place.folder)
      : new PostgresLockRepository({ url: place.url, poolSize: 1, statementTimeoutMs: 10000 }));
    const hold = () => new Promise((resolve) => { console.log('held'); process.stdin.once('data', resolve); });
    const run = ${JSON.stringify(work)} === 'writeMemoryDir' ? locks.writeMemoryDir('alice', hold) : locks[${JSON.stringify(work)}](hold);
    run.then(() => console.log('released'));
  `;
  const child: ChildProcess = spawn(process.execPath, ['-e', script], { stdio: ['pipe', 'pipe', 'inherit'] });
  let output = '';
  const held = new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (chunk) => {
      output += chunk;
      if (output.includes('held')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`lock holder exited with ${code}: ${output}`)));
  });
  return {
    held,
    letGo: () => child.stdin!.write('go\n'),
    async kill() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGKILL');
      await once(child, 'exit');
    },
  };
}

async function until(condition: () => boolean): Promise<void> {
  for (const deadline = Date.now() + 10_000; !condition();) {
    assert.ok(Date.now() < deadline, 'condition not met within 10 s');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Records when work under the lock starts, to compare orders across callers. */
function tracker() {
  const started: string[] = [];
  return {
    started,
    run: (name: string) => async () => void started.push(name),
  };
}

/**
 * A place for each test's locks: SQLite lock files in a new folder, or PostgreSQL advisory locks in a
 * new database on a real server (each holder its own backend, as replicas on different nodes have).
 */
interface LockBackend {
  name: string;
  start(): Promise<void>;
  place(): Promise<LockPlace>;
  stop(): Promise<void>;
}

const sqliteLocks: LockBackend = {
  name: 'SQLite lock files',
  start: async () => undefined,
  place: async () => ({ kind: 'sqlite', folder: makeTempDir() }),
  stop: async () => undefined,
};

function postgresLocks(): LockBackend {
  let server: NativePostgres | undefined;
  let databases = 0;
  return {
    name: 'PostgreSQL advisory locks (native server)',
    async start() {
      server = await startNativePostgres();
    },
    async place() {
      const name = `locks_${++databases}`;
      const admin = new pg.Client({ connectionString: server!.url });
      await admin.connect();
      await admin.query(`CREATE DATABASE ${name}`);
      await admin.end();
      const url = new URL(server!.url);
      url.pathname = `/${name}`;
      return { kind: 'postgres', url: url.toString() };
    },
    stop: async () => server?.close(),
  };
}

for (const backend of [sqliteLocks, postgresLocks()]) {
  describe(`store locks across processes (real child processes): ${backend.name}`, () => lockContract(backend));
}

function lockContract(backend: LockBackend): void {
  const holders: ReturnType<typeof holder>[] = [];
  const spawnHolder = (place: LockPlace, work: LockedWork) => {
    const child = holder(place, work);
    holders.push(child);
    return child;
  };
  before(() => backend.start());
  after(async () => {
    for (const child of holders) await child.kill();
    await backend.stop();
  });

  it('a restore waits for a reindex running in another process, and starts once it ends', async () => {
    const place = await backend.place();
    const reindex = spawnHolder(place, 'reindex');
    await reindex.held;
    const locks = new StoreLocks(repositoryOf(place));
    const order = tracker();
    const waits: string[] = [];
    const restore = locks.restore(order.run('restore'), { whileWaiting: async (what) => void waits.push(what) });
    await until(() => waits.length > 0);
    assert.deepEqual(order.started, [], 'the restore must not start while the reindex holds the store');
    assert.match(waits[0], /reindexing/);
    reindex.letGo();
    await restore;
    assert.deepEqual(order.started, ['restore']);
  });

  it('two reindexes never run at once, whichever process asks', async () => {
    const place = await backend.place();
    const other = spawnHolder(place, 'reindex');
    await other.held;
    const locks = new StoreLocks(repositoryOf(place));
    await assert.rejects(
      locks.reindex(async () => undefined, { timeoutMs: 150 }),
      { code: 'store_busy' },
    );
    // Backups and imports still run alongside a reindex.
    await locks.storeWork(async () => undefined, { timeoutMs: 150 });
    other.letGo();
    await locks.reindex(async () => undefined, { timeoutMs: 5000 });
  });

  it('a lock held by a process that is killed is free at once: no stale lock, no clean-up step', async () => {
    const place = await backend.place();
    const crashed = spawnHolder(place, 'restore');
    await crashed.held;
    const locks = new StoreLocks(repositoryOf(place));
    await assert.rejects(
      locks.storeWork(async () => undefined, { timeoutMs: 100 }),
      { code: 'store_busy' },
    );
    await crashed.kill();
    await locks.storeWork(async () => undefined, { timeoutMs: 5000 });
    if (place.kind === 'sqlite') {
      assert.deepEqual(
        readdirSync(place.folder).filter((name) => !name.endsWith('.lock')),
        [],
        'nothing but the empty lock files',
      );
    }
  });

  it('a waiting restore goes before work that arrives after it, so a stream of work cannot starve it', async () => {
    const place = await backend.place();
    const running = spawnHolder(place, 'writeMemoryDir');
    await running.held;
    const locks = new StoreLocks(repositoryOf(place));
    const order = tracker();
    const waiting = new Set<string>();
    const restore = locks.restore(order.run('restore'), { whileWaiting: async () => void waiting.add('restore') });
    await until(() => waiting.has('restore'));
    const laterImport = locks.storeWork(order.run('import after the restore'), {
      whileWaiting: async () => void waiting.add('import'),
    });
    await until(() => waiting.has('import'));
    assert.deepEqual(order.started, []);
    running.letGo();
    await Promise.all([restore, laterImport]);
    assert.deepEqual(order.started, ['restore', 'import after the restore']);
  });

  it('a whole-store claim (migrate-storage) is refused naming what holds the store, and holds off every job while held', async () => {
    const place = await backend.place();
    const locks = new StoreLocks(repositoryOf(place));
    for (const [work, holder] of [
      ['reindex', 'a reindex'],
      ['storeWork', 'a backup, an import or an agent run'],
      ['writeMemoryDir', 'a backup, an import or an agent run'],
      ['restore', 'a restore (or another engram migrate-storage)'],
    ] as const) {
      const running = spawnHolder(place, work);
      await running.held;
      await assert.rejects(locks.claimWholeStore(), { name: 'StoreInUse', code: 'store_busy', holder });
      await running.kill();
    }
    const claim = await locks.claimWholeStore();
    const waits: string[] = [];
    for (const job of ['restore', 'reindex', 'storeWork'] as const) {
      await assert.rejects(
        locks[job](async () => undefined, { timeoutMs: 150, whileWaiting: async (what) => void waits.push(what) }),
        { code: 'store_busy' },
      );
    }
    assert.match(waits[0], /migrate-storage/, 'a waiting job names it');
    await assert.rejects(new StoreLocks(repositoryOf(place)).claimWholeStore(), {
      holder: 'a restore (or another engram migrate-storage)',
    });
    await claim.release();
    await locks.storeWork(async () => undefined, { timeoutMs: 5000 });
  });

  it('a backup archives the memory directory only when no agent run or import writes it', async () => {
    const place = await backend.place();
    const agentRun = spawnHolder(place, 'writeMemoryDir');
    await agentRun.held;
    const locks = new StoreLocks(repositoryOf(place));
    await assert.rejects(
      locks.archiveMemoryDir(async () => undefined, { timeoutMs: 150 }),
      { code: 'store_busy' },
    );
    // Another namespace's writer is not held up by this one.
    await locks.writeMemoryDir('bob', async () => undefined, { timeoutMs: 150 });
    await assert.rejects(
      locks.writeMemoryDir('alice', async () => undefined, { timeoutMs: 150 }),
      {
        code: 'store_busy',
      },
    );
    agentRun.letGo();
    await locks.archiveMemoryDir(async () => undefined, { timeoutMs: 5000 });
  });
}
