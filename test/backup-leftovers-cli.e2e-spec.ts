import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { e2eStorages, startCliStorage } from './e2e-storage';
import { CliStore, openCliStore, runEngram } from './engram-cli';
import { leaveStaging } from './staging-leftovers';

const HOUR_MS = 60 * 60 * 1000;

/**
 * A host where no api or worker runs (backups from a cron job, an agent for stdio clients) loses the stagings
 * a crash left too: the commands that remove what killed processes left in the OS temporary folder remove
 * them, as an api does as it starts (backup-leftovers-at-start.e2e-spec).
 */
for (const storage of e2eStorages())
  describe(`engram commands remove the backup stagings a crash left (${storage.name})`, () => {
    let store: CliStore;
    let env: Record<string, string>;
    let backups: string;

    before(async () => {
      store = await openCliStore('leftovers-cli-model');
      backups = join(store.dir, 'backups');
      env = { ...(await startCliStorage(storage, store)), MCP_MEMORY_BACKUPS_PATH: backups };
    });
    after(async () => {
      await storage.stop();
      await store.close();
    });

    for (const command of [['restore', '--list'], ['mcp']])
      it(`engram ${command.join(' ')} removes a manual staging untouched for long, keeping a fresh one and a pre-restore one`, async () => {
        const abandoned = leaveStaging(backups, 130, 'manual', 2 * HOUR_MS);
        const preRestore = leaveStaging(backups, 140, 'pre-restore', 2 * HOUR_MS);
        const fresh = leaveStaging(backups, 2, 'manual', 0);
        // `engram mcp` serves until its input ends: here it has none, so it sweeps, serves nothing and exits.
        const ran = await runEngram(command, env, store.dir);
        assert.equal(ran.code, 0, ran.stderr);
        assert.deepEqual(
          [abandoned, preRestore, fresh].filter((name) => existsSync(join(backups, name))),
          [preRestore, fresh],
        );
      });
  });
