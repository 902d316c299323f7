import Database from 'better-sqlite3';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { call, inheritedEnv, ROOT, RunningApi, startApi, tempDir } from './process-harness';

const CLI = join(ROOT, 'services', 'engram', 'dist', 'cli', 'engram.js');
const run = promisify(execFile);

async function keys(args: string[], db: string) {
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI, 'keys', ...args, '--db', db], {
      env: inheritedEnv(),
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

/** Moves keys' expiry time into the past, as if their days had passed. */
function expireKeys(dbPath: string, ids: string[], at: number): void {
  const db = new Database(dbPath);
  try {
    for (const id of ids) db.prepare('UPDATE api_keys SET expires_at = ? WHERE id = ?').run(at, id);
  } finally {
    db.close();
  }
}

describe('engram keys (CLI)', () => {
  let dir: string;
  let db: string;
  let api: RunningApi;

  before(async () => {
    dir = tempDir();
    db = join(dir, 'engram.db');
    api = await startApi({ MCP_MEMORY_SQLITE_PATH: db }, dir);
  });
  after(async () => {
    await api.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a first key that would leave no admin key, naming how to create one', async () => {
    const refused = await keys(['create', '--name', 'alice', '--scopes', 'read,write', '--namespace', 'alice'], db);
    assert.equal(refused.code, 64, 'EX_USAGE: other flags would do, as the message says');
    assert.match(
      refused.stderr,
      /Create an admin key first .*engram keys create --name admin --scopes read,write,admin/,
    );
    assert.equal((await keys(['list', '--json'], db)).stdout.includes('alice'), false, 'nothing was stored');
    assert.equal((await call(api.url, 'GET', '/api/memories')).status, 200, 'still open');
  });

  it('creates a key the running api accepts at once, lists it without the secret, and revokes it', async () => {
    assert.equal((await call(api.url, 'GET', '/api/memories')).status, 200, 'open before any key exists');
    const created = await keys(['create', '--name', 'laptop', '--scopes', 'read,write,admin', '--json'], db);
    assert.equal(created.code, 0, created.stderr);
    assert.match(created.stderr, /not shown again/);
    assert.match(created.stderr, /WARNING: This server now requires a key on every request/);
    const { key, id } = JSON.parse(created.stdout);
    assert.match(key, /^egk_/);

    await new Promise((resolve) => setTimeout(resolve, 5_100)); // the api re-checks for keys every 5 s
    assert.equal((await call(api.url, 'GET', '/api/memories')).status, 401);
    assert.equal((await call(api.url, 'GET', '/api/memories', undefined, { 'x-api-key': key })).status, 200);

    const second = await keys(['create', '--name', 'alice', '--scopes', 'read', '--namespace', 'alice'], db);
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stdout, /^egk_\S+\n$/, 'the secret alone on stdout, for scripts');
    assert.match(second.stderr, /created alice \(\S+\), scopes read, namespace alice, never expires\n/);
    assert.doesNotMatch(second.stderr, /WARNING/, 'the warning is for the key that locks the server');

    const listed = await keys(['list'], db);
    assert.ok(!listed.stdout.includes(key));
    const [header, ...rows] = listed.stdout.trimEnd().split('\n');
    assert.match(header, /^ID +NAME +PREFIX +SCOPES +NAMESPACE +CREATED +LAST USED +EXPIRES +STATE$/);
    assert.match(
      rows[0],
      new RegExp(`^${id} +laptop +egk_\\S{6} +read,write,admin +\\* +\\d{4}-\\d\\d-\\d\\d .* active$`),
    );
    assert.match(rows[1], / alice +egk_\S+ +read +alice /);
    assert.equal(JSON.parse((await keys(['list', '--json'], db)).stdout).keys[0].name, 'laptop');

    assert.equal((await keys(['revoke', id, '--yes'], db)).code, 0);
    assert.equal((await call(api.url, 'GET', '/api/memories', undefined, { 'x-api-key': key })).status, 401);
  });

  it('lists when each key expires, and an expired key as expired, apart from a revoked one', async () => {
    const create = async (name: string, days: string) => {
      const created = await keys(['create', '--name', name, '--scopes', 'read', '--expires-days', days, '--json'], db);
      assert.equal(created.code, 0, created.stderr);
      return JSON.parse(created.stdout) as { id: string; key: string; expires_at: string };
    };
    // The admin key before was revoked: non-admin keys need a usable admin key to exist.
    const admin = await keys(['create', '--name', 'admin', '--scopes', 'read,write,admin'], db);
    assert.equal(admin.code, 0);
    assert.match(admin.stderr, /created admin \(\S+\), scopes read,write,admin, every namespace, never expires\n/);
    const weekly = await keys(['create', '--name', 'weekly', '--scopes', 'read', '--expires-days', '7'], db);
    const inAWeek = new Date(Date.now() + 7 * 86_400_000).toISOString().slice(0, 10);
    assert.match(
      weekly.stderr,
      new RegExp(`created weekly \\(\\S+\\), scopes read, every namespace, expires ${inAWeek}T`),
    );
    const monthly = await create('monthly', '30');
    const lapsed = await create('lapsed', '1');
    const both = await create('lapsed and revoked', '1');
    const past = Date.now() - 60_000;
    expireKeys(db, [lapsed.id, both.id], past);
    assert.equal((await keys(['revoke', both.id, '--yes'], db)).code, 0);
    assert.equal((await call(api.url, 'GET', '/api/memories', undefined, { 'x-api-key': lapsed.key })).status, 401);

    const rows = (await keys(['list'], db)).stdout.trimEnd().split('\n');
    const row = (name: string) => rows.find((line) => line.includes(` ${name} `)) ?? '';
    const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
    assert.match(row('monthly'), new RegExp(` ${monthly.expires_at.slice(0, 10)} +active$`));
    assert.equal(monthly.expires_at.slice(0, 10), day(Date.now() + 30 * 86_400_000));
    assert.match(row('lapsed'), new RegExp(` ${day(past)} +expired$`));
    assert.match(row('lapsed and revoked'), / revoked$/, 'revoked wins: it can never come back');
    const listed = JSON.parse((await keys(['list', '--json'], db)).stdout).keys;
    const lapsedJson = listed.find((key: { id: string }) => key.id === lapsed.id);
    assert.equal(lapsedJson.expires_at, new Date(past).toISOString());
    assert.equal(lapsedJson.revoked_at, null);
  });

  it('names bad arguments and exits 64', async () => {
    const bad = await keys(['create', '--name', 'x', '--scopes', 'root'], db);
    assert.equal(bad.code, 64);
    assert.match(bad.stderr, /--scopes/);
    assert.equal((await keys(['explode'], db)).code, 64);
    const unknown = await keys(['revoke', '00000000-0000-4000-8000-000000000000', '--yes'], db);
    assert.equal(unknown.code, 66);
    assert.match(unknown.stderr, /No API key with id/);
    const typed = await keys(['create', '--name', '--scopes', 'read'], db);
    assert.equal(typed.code, 64);
    assert.match(typed.stderr, /--name needs a value/);
  });
});
