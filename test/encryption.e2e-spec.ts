import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { DIST, RunningEngram as Running, runEngram, serviceHelper, startEngram } from './engram-cli';
import { call, freePort, inheritedEnv, runApiToExit, tempDir } from './process-harness';

const { startOpenAiEmbeddingsTestDouble } = serviceHelper('testing/openai-embeddings.test-double.js');
const run = promisify(execFile);

const PASSPHRASE = 'correct horse battery staple, encrypted';
const RAW_KEY = 'a3'.repeat(32);
const SECRET_TEXT = 'the vault combination is 4-8-15-16-23-42';

/** `engram <args>` to its exit, with its output. */
async function engram(args: string[], env: Record<string, string>, cwd: string) {
  try {
    const { stdout, stderr } = await run(process.execPath, [join(DIST, 'cli', 'engram.js'), ...args], {
      cwd,
      env: { ...inheritedEnv(), HOME: cwd, ...env },
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

const isPlaintext = (path: string) => readFileSync(path).subarray(0, 16).toString('latin1') === 'SQLite format 3\0';
const holdsSecret = (path: string) => readFileSync(path).includes(SECRET_TEXT);

async function finished(url: string, id: string): Promise<any> {
  for (;;) {
    const job = (await call(url, 'GET', `/api/jobs/${id}`)).body;
    if (['completed', 'failed', 'cancelled'].includes(job.state)) return job;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('encryption at rest (real api processes and CLI on a SQLCipher-format database)', () => {
  let model: any;
  let api: Running | undefined;
  const embeddingEnv = () => ({
    ENGRAM_EMBEDDING_PROVIDER: 'openai',
    MCP_EXTERNAL_EMBEDDING_URL: model.url,
    MCP_EXTERNAL_EMBEDDING_MODEL: model.model,
  });
  const serve = async (dir: string, env: Record<string, string> = {}) => {
    api = await startEngram(
      'serve',
      { ...embeddingEnv(), MCP_HTTP_PORT: String(await freePort()), ...env },
      dir,
      'Engram ready',
    );
    return api;
  };
  const stop = async () => {
    await api?.stop();
    api = undefined;
  };

  before(async () => {
    model = await startOpenAiEmbeddingsTestDouble({ dimension: 16, model: 'crypt-model' });
  });
  after(async () => {
    await stop();
    await model.close();
  });

  it('keeps the database and its backups unreadable without the key, and restores from them', async () => {
    const dir = tempDir();
    const keyFile = join(dir, 'db.key');
    writeFileSync(keyFile, `${RAW_KEY}\n`);
    const env = { ENGRAM_DB_ENCRYPTION_KEY_FILE: keyFile };
    const { url } = await serve(dir, env);
    assert.equal((await call(url, 'POST', '/api/memories', { content: SECRET_TEXT })).status, 201);
    const backup = await call(url, 'POST', '/api/backup/now');
    assert.equal(backup.body.success, true, JSON.stringify(backup.body));
    assert.equal((await call(url, 'POST', '/api/memories', { content: 'written after the backup' })).status, 201);
    const restore = await finished(
      url,
      (await call(url, 'POST', '/api/admin/restore', { backup_id: backup.body.backup_id })).body.job_id,
    );
    assert.equal(restore.state, 'completed', restore.error);
    const search = await call(url, 'POST', '/api/search', { query: 'vault combination', mode: 'keyword' });
    assert.equal(search.body.results[0]?.memory.content, SECRET_TEXT);
    assert.equal((await call(url, 'GET', '/api/memories')).body.total, 1, 'the restore brought the backup back');
    await stop();

    const database = join(dir, 'data', 'engram.db');
    const backupFiles = readdirSync(join(dir, 'data', 'backups'))
      .filter((name) => !name.startsWith('.'))
      .map((id) => join(dir, 'data', 'backups', id, 'engram.db'));
    assert.equal(backupFiles.length, 2, 'the backup and the pre-restore one');
    for (const file of [database, ...backupFiles]) {
      assert.equal(isPlaintext(file), false, `${file} has a plaintext header`);
      assert.equal(holdsSecret(file), false, `${file} holds the memory in clear`);
    }
  });

  it('stops start-up with exit 78 and one clear line for a wrong key, a missing key, or a plaintext file', async () => {
    const dir = tempDir();
    const database = join(dir, 'data', 'engram.db');
    await serve(dir, { ENGRAM_DB_ENCRYPTION_KEY: PASSPHRASE });
    await stop();
    const base = { ...embeddingEnv(), MCP_MEMORY_SQLITE_PATH: database };
    const wrong = await runApiToExit({ ...base, ENGRAM_DB_ENCRYPTION_KEY: `${PASSPHRASE}!` }, dir);
    assert.equal(wrong.code, 78, wrong.stdout + wrong.stderr);
    assert.match(
      wrong.stdout + wrong.stderr,
      /cannot be decrypted with ENGRAM_DB_ENCRYPTION_KEY \(or ENGRAM_DB_ENCRYPTION_KEY_FILE\): the key is wrong/,
    );
    assert.ok(!(wrong.stdout + wrong.stderr).includes(PASSPHRASE), 'the key is never printed');
    const missing = await runApiToExit(base, dir);
    assert.equal(missing.code, 78);
    assert.match(
      missing.stdout + missing.stderr,
      /is encrypted \(or not a SQLite database\): set ENGRAM_DB_ENCRYPTION_KEY/,
    );

    const plainDir = tempDir();
    await serve(plainDir);
    await stop();
    const plain = await runApiToExit(
      {
        ...embeddingEnv(),
        MCP_MEMORY_SQLITE_PATH: join(plainDir, 'data', 'engram.db'),
        ENGRAM_DB_ENCRYPTION_KEY: PASSPHRASE,
      },
      plainDir,
    );
    assert.equal(plain.code, 78);
    assert.match(plain.stdout + plain.stderr, /is not encrypted .* run `engram encrypt`/);
  });

  it('says a wrong key at serve, worker and stdio mcp in one plain line naming the setting, never the key (78)', async () => {
    const dir = tempDir();
    const database = join(dir, 'data', 'engram.db');
    await serve(dir, { ENGRAM_DB_ENCRYPTION_KEY: PASSPHRASE });
    await stop();
    const keyFile = join(dir, 'wrong.key');
    writeFileSync(keyFile, `${PASSPHRASE}!\n`);
    const redis = await serviceHelper('testing/redis-server.js').startTestRedis();
    const env = {
      ...embeddingEnv(),
      MCP_MEMORY_SQLITE_PATH: database,
      MCP_HTTP_PORT: '0',
      WORKER_HTTP_PORT: '0',
      REDIS_URL: redis.url,
    };
    const runs = [
      { command: 'serve', env: { ...env, ENGRAM_DB_ENCRYPTION_KEY: `${PASSPHRASE}!` } },
      { command: 'worker', env: { ...env, ENGRAM_DB_ENCRYPTION_KEY_FILE: keyFile } },
      { command: 'mcp', env: { ...env, ENGRAM_DB_ENCRYPTION_KEY: `${PASSPHRASE}!` } },
    ];
    const problem =
      `engram: ${database} cannot be decrypted with ENGRAM_DB_ENCRYPTION_KEY (or ENGRAM_DB_ENCRYPTION_KEY_FILE): ` +
      'the key is wrong (or the file is not a database)';
    try {
      for (const { command, env } of runs) {
        const run = await runEngram([command], env, dir);
        assert.equal(run.code, 78, `${command}: ${run.stderr}`);
        // stdio mcp logs to stderr (stdout is the protocol's): its problem is the last line there.
        const lines = run.stderr.trimEnd().split('\n');
        assert.equal(lines.at(-1), problem, `${command}: ${run.stderr}`);
        if (command !== 'mcp') assert.equal(lines.length, 1, `${command}, one line: ${run.stderr}`);
        assert.doesNotMatch(run.stdout + run.stderr, /"level":"error"|Invalid configuration|\bat unlockDatabase\b/);
        assert.ok(!(run.stdout + run.stderr).includes(PASSPHRASE), `${command} printed the key`);
      }
    } finally {
      await redis.close();
    }
  });

  it('engram encrypt refuses while the api runs, then encrypts in place; the store and its old backups still serve', async () => {
    const dir = tempDir();
    const database = join(dir, 'data', 'engram.db');
    const { url } = await serve(dir);
    for (let i = 0; i < 50; i++)
      assert.equal((await call(url, 'POST', '/api/memories', { content: `note ${i}` })).status, 201);
    assert.equal((await call(url, 'POST', '/api/memories', { content: SECRET_TEXT })).status, 201);
    const plaintextBackup = (await call(url, 'POST', '/api/backup/now')).body.backup_id;
    // A raw key: no key derivation on each of the many connections a restore opens.
    const keyEnv = { ENGRAM_DB_ENCRYPTION_KEY: RAW_KEY };

    const busy = await engram(['encrypt'], keyEnv, dir);
    assert.equal(busy.code, 75, busy.stderr);
    assert.match(busy.stderr, /is open in another process: stop the api/);
    assert.equal(isPlaintext(database), true, 'nothing changed');
    await stop();

    const done = await engram(['encrypt'], keyEnv, dir);
    assert.equal(done.code, 0, done.stderr);
    const outcome = JSON.parse(done.stdout);
    assert.equal(outcome.database, database);
    assert.ok(outcome.rows >= 51);
    assert.equal(isPlaintext(database), false);
    assert.equal(holdsSecret(database), false);
    assert.deepEqual(
      readdirSync(join(dir, 'data')).filter((name) => name.includes('encrypting')),
      [],
      'no temporary copy left',
    );
    const again = await engram(['encrypt'], keyEnv, dir);
    assert.equal(again.code, 0);
    assert.match(again.stderr, /already encrypted/);

    const encrypted = await serve(dir, keyEnv);
    assert.equal((await call(encrypted.url, 'GET', '/api/memories')).body.total, 51);
    const search = await call(encrypted.url, 'POST', '/api/search', { query: 'vault combination', mode: 'keyword' });
    assert.equal(search.body.results[0]?.memory.content, SECRET_TEXT);
    assert.equal((await call(encrypted.url, 'POST', '/api/memories', { content: 'after encryption' })).status, 201);
    const restore = await finished(
      encrypted.url,
      (await call(encrypted.url, 'POST', '/api/admin/restore', { backup_id: plaintextBackup })).body.job_id,
    );
    assert.equal(restore.state, 'completed', restore.error);
    assert.equal((await call(encrypted.url, 'GET', '/api/memories')).body.total, 51);
    await stop();
    assert.equal(isPlaintext(database), false, 'restoring a plaintext backup keeps the store encrypted');
  });
});
