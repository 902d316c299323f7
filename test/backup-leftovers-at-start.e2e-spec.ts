import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Client as PgClient } from 'pg';
import { CliStore, openCliStore, RunningEngram, serviceHelper, spawnEngram, startEngram } from './engram-cli';
import { freePort, tempDir } from './process-harness';
import { leaveStaging, stagingsIn, untouchedFor } from './staging-leftovers';

const HOUR_MS = 60 * 60 * 1000;
const { waitFor } = serviceHelper('testing/wait-for.js');
const { startTestPostgres } = serviceHelper('testing/postgres-test-server.js');
const { realPostgresAvailable, startRealPostgres } = serviceHelper('testing/real-postgres.js');
const { startTestRedis } = serviceHelper('testing/redis-server.js');
const { openSqliteDatabase } = serviceHelper('storage/sqlite.connection.js');
const { SqliteLockRepository } = serviceHelper('storage/locks/sqlite-lock.repository.js');
const { PostgresLockRepository } = serviceHelper('storage/locks/postgres-lock.repository.js');
const { lockFolderOf } = serviceHelper('storage/sqlite/sqlite.stores.js');

/** Whether the log holds a line saying `what` about the folder `name`. */
const logged = (output: string, what: string, name: string) =>
  output.split('\n').some((line) => line.includes(what) && line.includes(name));

for (const backend of ['SQLite', 'PostgreSQL'] as const)
  describe(`backups cut short by a crash, cleaned when a process starts (${backend})`, () => {
    // Locks held by other processes need sessions of their own: PGlite multiplexes every connection onto one.
    const crossProcessLocks = backend === 'SQLite' || realPostgresAvailable();
    let store: CliStore;
    let postgres: { url: string; close(): Promise<void> } | undefined;
    let env: Record<string, string>;
    let backups: string;
    const running: RunningEngram[] = [];

    before(async () => {
      store = await openCliStore('leftovers-at-start-model');
      backups = join(store.dir, 'backups');
      env = { ...store.env, MCP_MEMORY_BACKUPS_PATH: backups };
      if (backend === 'PostgreSQL') {
        postgres = realPostgresAvailable() ? await startRealPostgres() : await startTestPostgres();
        env = { ...env, MCP_MEMORY_STORAGE_BACKEND: 'postgres', DATABASE_URL: postgres!.url };
      } else {
        openSqliteDatabase(env.MCP_MEMORY_SQLITE_PATH, {}).close();
      }
      const stored = await runEngram(['store', 'kept by every backup']).ended;
      assert.equal(stored.code, 0, stored.stderr);
    });
    after(async () => {
      await Promise.all(running.map((process) => process.stop('SIGKILL')));
      await postgres?.close();
      await store?.close();
    });

    /** Starts `engram <args>` on this store, with `tmp` as its OS temporary folder; `ended` is its exit. */
    const runEngram = (args: string[], { tmp, onStderr }: { tmp?: string; onStderr?: (stderr: string) => void } = {}) =>
      spawnEngram(args, { ...env, ...(tmp ? { TMPDIR: tmp } : {}) }, store.dir, onStderr);

    const incomplete = async (): Promise<any[]> => {
      const listed = await runEngram(['restore', '--list', '--json']).ended;
      assert.equal(listed.code, 0, listed.stderr);
      return JSON.parse(listed.stdout).incomplete;
    };

    /** Holds what an agent run holds (as far as the locks tell), so a backup waits at its archive step. */
    const holdAgentRun = () => {
      const locks = postgres
        ? new PostgresLockRepository({ url: postgres.url, statementTimeoutMs: 30_000 })
        : new SqliteLockRepository(lockFolderOf(env.MCP_MEMORY_SQLITE_PATH));
      return locks.tryAcquire('memory-dir', 'shared');
    };

    const start = async (command: 'serve' | 'worker', extra: Record<string, string> = {}) => {
      const port = String(await freePort());
      const started = await startEngram(
        command,
        { ...env, ...extra, MCP_HTTP_PORT: port, WORKER_HTTP_PORT: port },
        store.dir,
        command === 'serve' ? 'Engram ready' : 'Engram worker ready',
      );
      running.push(started);
      return started;
    };

    if (backend === 'PostgreSQL')
      it('a backup killed while it writes out the memory files leaves them in its staging folder, not the OS temp folder; the next worker start removes it', async () => {
        // Enough files that writing them out and archiving them takes a while: the kill lands meanwhile.
        const client = new PgClient({ connectionString: postgres!.url });
        await client.connect();
        try {
          await client.query(
            `INSERT INTO agent_files (namespace, path, content, modified_at)
             SELECT 'ns' || (i % 4), 'notes/note-' || i || '.md', convert_to(repeat('a line of notes ', 100), 'UTF8'), 0
               FROM generate_series(1, 4000) AS i`,
          );
        } finally {
          await client.end();
        }
        const tmp = tempDir('engram-backup-tmp-');
        const writingOut = () =>
          readdirSync(tmp).some((name) => name.startsWith('engram-agent-files-')) ||
          stagingsIn(backups).some((name) => existsSync(join(backups, name, 'agent-files')));
        const backup = runEngram(['backup'], { tmp });
        await waitFor(writingOut, 'the backup to write out the memory files', 60_000).catch((error: Error) => {
          backup.kill();
          throw error;
        });
        backup.kill();
        const ended = await backup.ended;
        assert.equal(ended.signal, 'SIGKILL', `engram backup ended by itself: ${ended.stderr}`);

        assert.deepEqual(readdirSync(tmp), [], 'nothing of the backup in the OS temporary folder');
        // Its lock goes with its session, which the server ends once it sees the connection closed.
        await waitFor(async () => (await incomplete()).length === 1, 'the killed backup to be listed');
        const [left] = await incomplete();
        assert.deepEqual([left.kind, left.reason, left.may_hold_only_copy], ['staging', 'manual', false]);
        assert.ok(existsSync(join(left.path, 'agent-files')), 'the memory files it was writing out, in it');

        untouchedFor(left.path, HOUR_MS);
        const redis = await startTestRedis();
        try {
          const worker = await start('worker', { REDIS_URL: redis.url });
          await worker.waitForOutput((output) => logged(output, 'Abandoned backup staging folder removed', left.name));
          assert.equal(existsSync(left.path), false);
          assert.equal(await worker.stop(), 0);
        } finally {
          await redis.close();
        }
        assert.deepEqual(await incomplete(), []);
      });

    it('an api that starts removes the manual and scheduled stagings a crash left, keeping pre-restore, unknown, fresh and live ones', async () => {
      // A backup under way in another process, its staging folder untouched for long: only its lock says so.
      // Started before the crash's stagings are left, as a job command removes them as it starts.
      let live: string | undefined;
      let liveBackup: ReturnType<typeof runEngram> | undefined;
      const agentRun = crossProcessLocks ? await holdAgentRun() : undefined;
      try {
        if (agentRun) {
          const earlier = stagingsIn(backups);
          let waiting!: () => void;
          const atArchiveStep = new Promise<void>((resolve) => (waiting = resolve));
          liveBackup = runEngram(['backup'], {
            onStderr: (stderr) => stderr.includes('waiting for agent runs and imports') && waiting(),
          });
          const endedEarly = liveBackup.ended.then(({ stderr }) => `it ended before its archive step: ${stderr}`);
          assert.equal(await Promise.race([atArchiveStep.then(() => undefined), endedEarly]), undefined);
          [live] = stagingsIn(backups).filter((name) => !earlier.includes(name));
          untouchedFor(join(backups, live), 2 * HOUR_MS);
        }
        const manual = leaveStaging(backups, 120, 'manual', 2 * HOUR_MS);
        const scheduled = leaveStaging(backups, 90, 'scheduled', 2 * HOUR_MS);
        const preRestore = leaveStaging(backups, 100, 'pre-restore', 2 * HOUR_MS);
        const olderBuild = leaveStaging(backups, 110, undefined, 2 * HOUR_MS);
        const fresh = leaveStaging(backups, 1, 'manual', 0);

        const api = await start('serve');
        await api.waitForOutput(
          (output) =>
            logged(output, 'Abandoned backup staging folder removed', manual) &&
            logged(output, 'Abandoned backup staging folder removed', scheduled) &&
            (live === undefined || logged(output, 'Backup staging folder kept: a process is writing it', live)),
        );
        const kept = [preRestore, olderBuild, fresh, ...(live ? [live] : [])];
        assert.deepEqual(
          [manual, scheduled, ...kept].filter((name) => existsSync(join(backups, name))),
          kept,
          'the ones that may hold the only copy of a replaced state, a fresh one and the live one stay',
        );
        assert.equal(await api.stop(), 0);
      } finally {
        await agentRun?.release();
      }
      if (liveBackup) assert.equal((await liveBackup.ended).code, 0, 'the live backup completes');
    });
  });
