import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { AddressInfo, createServer } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runEngram, serviceHelper } from './engram-cli';
import { freePort, ROOT, tempDir } from './process-harness';

describe('engram CLI conventions (a real process)', () => {
  let dir: string;
  before(() => {
    dir = tempDir();
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('answers --help, -h, --version and <command> --help without reading the configuration (exit 0)', async () => {
    const broken = { MCP_HTTP_PORT: 'eighty' };
    const version = JSON.parse(readFileSync(join(ROOT, 'services', 'engram', 'package.json'), 'utf8')).version;
    for (const args of [['--help'], ['-h'], []]) {
      const run = await runEngram(args, broken, dir);
      assert.equal(run.code, 0, `engram ${args.join(' ')}: ${run.stderr}`);
      assert.match(run.stdout, /^usage: engram <command>/);
      assert.match(run.stdout, /\n {2}search /);
    }
    assert.deepEqual(await runEngram(['--version'], broken, dir), { code: 0, stdout: `${version}\n`, stderr: '' });
    // One process per command costs seconds on a loaded machine: a server, a store command and a job.
    for (const command of ['serve', 'keys', 'backup']) {
      const run = await runEngram([command, '--help'], broken, dir);
      assert.equal(run.code, 0, `${command} --help: ${run.stderr}`);
      assert.match(run.stdout, new RegExp(`usage:[\\s\\S]*engram ${command}`));
    }
    assert.ok(!existsSync(join(dir, 'data')), 'no command created a database');
  });

  it('refuses to create a database outside serve, naming the path it looked at', async () => {
    const missing = join(dir, 'mistyped.db');
    for (const args of [['keys', 'list'], ['backup'], ['list']]) {
      const run = await runEngram([...args, '--db', missing], {}, dir);
      assert.equal(run.code, 66, `${args.join(' ')}: ${run.stderr}`);
      assert.match(run.stderr, new RegExp(`no database at ${missing.replaceAll('/', '\\/')}`));
      assert.ok(!existsSync(missing), `${args.join(' ')} created ${missing}`);
    }
  });

  it('refuses a folder or an empty file as the database with one line naming it (66), changing neither', async () => {
    const folder = join(dir, 'a-folder.db');
    mkdirSync(folder);
    const empty = join(dir, 'empty.db');
    writeFileSync(empty, '');
    const key = { ENGRAM_DB_ENCRYPTION_KEY: 'k'.repeat(32) };
    const runs = [
      ...[
        ['list'],
        ['keys', 'list'],
        ['audit'],
        ['backup'],
        ['mcp'],
        ['encrypt'],
        ['reindex', '--if-model-changed'],
      ].map((args) => ({ args: [...args, '--db', folder], problem: `${folder} is a directory, not a database` })),
      ...[['list'], ['keys', 'list'], ['audit'], ['backup'], ['encrypt']].map((args) => ({
        args: [...args, '--db', empty],
        problem: `${empty} is an empty file, not a database`,
      })),
    ];
    for (const { args, problem } of runs) {
      const run = await runEngram(args, key, dir);
      assert.equal(run.code, 66, `${args.join(' ')}: ${run.stderr}`);
      assert.equal(run.stderr.split('\n').length, 2, `one line: ${run.stderr}`);
      assert.ok(run.stderr.startsWith(`engram ${args[0]}: ${problem} (MCP_MEMORY_SQLITE_PATH or --db)`), run.stderr);
    }
    assert.equal(readFileSync(empty, 'utf8'), '', 'the empty file is still empty');
    assert.deepEqual(readdirSync(folder), []);
  });

  it('refuses a database path, --db or MCP_MEMORY_SQLITE_PATH, in a folder that does not exist (66) instead of creating the folders', async () => {
    const file = join(dir, 'file-not-folder');
    writeFileSync(file, 'x');
    const mistyped = join(dir, 'mistyped', 'deeper', 'engram.db');
    const noFolder = `no database at ${mistyped}, and no folder ${join(dir, 'mistyped', 'deeper')} to create it in`;
    const throughFile = `cannot open ${join(file, 'engram.db')}: ENOTDIR`;
    const asEnv = { MCP_MEMORY_SQLITE_PATH: mistyped };
    const ports = { MCP_HTTP_PORT: '0', WORKER_HTTP_PORT: '0', REDIS_URL: 'redis://127.0.0.1:9' };
    const runs = [
      { args: ['mcp', '--db', mistyped], env: {}, line: `engram mcp: ${noFolder}` },
      { args: ['mcp', '--db', join(file, 'engram.db')], env: {}, line: `engram mcp: ${throughFile}` },
      // The same variable means the same to every command that creates a store (`npm start` is serve).
      { args: ['mcp'], env: asEnv, line: `engram mcp: ${noFolder}` },
      { args: ['serve'], env: { ...ports, ...asEnv }, line: `engram: ${noFolder}` },
      { args: ['worker'], env: { ...ports, ...asEnv }, line: `engram: ${noFolder}` },
      { args: ['serve', '--db', join(file, 'engram.db')], env: ports, line: `engram: ${throughFile}` },
    ];
    for (const { args, env, line } of runs) {
      const run = await runEngram(args, env, dir);
      assert.equal(run.code, 66, `${args.join(' ')}: ${run.stderr}`);
      assert.equal(run.stderr, `${line} (MCP_MEMORY_SQLITE_PATH or --db)\n`);
      assert.equal(run.stdout, '', `${args.join(' ')}: stdout carries only JSON-RPC (mcp), logs nothing (servers)`);
    }
    assert.ok(!existsSync(join(dir, 'mistyped')), 'the folders were created');
  });

  it("creates the default database's folder, Engram's own data directory, for stdio mcp as for serve", async () => {
    const home = join(dir, 'fresh-home');
    mkdirSync(home);
    const run = await runEngram(['mcp'], {}, home); // stdin closed: it stops once started
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr, /^engram mcp: no database at .* yet: creating a new, empty one\n/);
    assert.ok(existsSync(join(home, 'data', 'engram.db')), 'no database in ./data');
  });

  it('names an unreachable PostgreSQL or Redis in one line without its password, and exits 69', async () => {
    const secret = 'PW-s3cret';
    const closed = await freePort(); // nothing listens there
    const postgres = {
      MCP_MEMORY_STORAGE_BACKEND: 'postgres',
      DATABASE_URL: `postgres://engram:${secret}@127.0.0.1:${closed}/memories`,
    };
    const database = join(dir, 'reachable.db');
    serviceHelper('storage/sqlite.connection.js').openSqliteDatabase(database, {}).close();
    const redis = { MCP_MEMORY_SQLITE_PATH: database, REDIS_URL: `redis://:${secret}@127.0.0.1:${closed}/0` };
    const runs = [
      {
        args: ['list'],
        env: postgres,
        problem: `Cannot use the PostgreSQL database postgres://127.0.0.1:${closed}/memories: `,
      },
      {
        args: ['keys', 'list'],
        env: postgres,
        problem: `Cannot use the PostgreSQL database postgres://127.0.0.1:${closed}/memories: `,
      },
      { args: ['backup'], env: redis, problem: `Cannot reach Redis at redis://127.0.0.1:${closed}/0 (REDIS_URL): ` },
    ];
    for (const { args, env, problem } of runs) {
      const run = await runEngram(args, env, dir);
      assert.equal(run.code, 69, `${args.join(' ')}: ${run.stderr}`);
      assert.ok(run.stderr.startsWith(`engram: ${problem}`), `${args.join(' ')}: ${run.stderr}`);
      assert.match(run.stderr, /ECONNREFUSED/);
      assert.equal(run.stderr.split('\n').length, 2, `one line: ${run.stderr}`);
      assert.ok(!run.stderr.includes(secret), `echoed the password: ${run.stderr}`);
    }
  });

  it('names a PostgreSQL login the server refuses in one line without its password, and exits 78 (configuration)', async () => {
    const server = await serviceHelper('testing/native-postgres-server.js').startNativePostgres();
    try {
      const secret = 'PW-s3cret';
      const env = {
        MCP_MEMORY_STORAGE_BACKEND: 'postgres',
        DATABASE_URL: server.url.replace('postgres:postgres@', `postgres:${secret}@`),
      };
      const run = await runEngram(['keys', 'list'], env, dir);
      assert.equal(run.code, 78, run.stderr);
      assert.equal(
        run.stderr,
        `engram: The PostgreSQL database postgres://${new URL(server.url).host}/postgres refused the login: ` +
          'password authentication failed for user "postgres" (check the user, password and database in DATABASE_URL)\n',
      );
    } finally {
      await server.close();
    }
  });

  it('stops `engram serve` and `engram worker` on an unreachable PostgreSQL or Redis with one line, without its password (69)', async () => {
    const secret = 'PW-s3cret';
    const closed = await freePort(); // nothing listens there
    const redis = await serviceHelper('testing/redis-server.js').startTestRedis();
    const ports = { MCP_HTTP_PORT: '0', WORKER_HTTP_PORT: '0' };
    const postgres = {
      ...ports,
      MCP_MEMORY_STORAGE_BACKEND: 'postgres',
      DATABASE_URL: `postgres://engram:${secret}@127.0.0.1:${closed}/memories`,
    };
    const database = join(dir, 'served.db');
    serviceHelper('storage/sqlite.connection.js').openSqliteDatabase(database, {}).close();
    const noRedis = {
      ...ports,
      MCP_MEMORY_SQLITE_PATH: database,
      REDIS_URL: `redis://:${secret}@127.0.0.1:${closed}/0`,
    };
    const cannotUse = `Cannot use the PostgreSQL database postgres://127.0.0.1:${closed}/memories: `;
    const cannotReach = `Cannot reach Redis at redis://127.0.0.1:${closed}/0 (REDIS_URL): `;
    const runs = [
      { command: 'serve', env: postgres, problem: cannotUse },
      { command: 'worker', env: { ...postgres, REDIS_URL: redis.url }, problem: cannotUse },
      { command: 'serve', env: noRedis, problem: cannotReach },
      { command: 'worker', env: noRedis, problem: cannotReach },
    ];
    try {
      // Side by side: each waits a while for Redis, which may be starting beside it.
      const results = await Promise.all(runs.map(({ command, env }) => runEngram([command], env, dir)));
      runs.forEach(({ command, problem }, index) => {
        const run = results[index];
        assert.equal(run.code, 69, `${command}: ${run.stderr}`);
        assert.ok(run.stderr.startsWith(`engram: ${problem}`), `${command}: ${run.stderr}`);
        assert.match(run.stderr, /ECONNREFUSED/);
        assert.equal(run.stderr.split('\n').length, 2, `one line: ${run.stderr}`);
        assert.ok(!(run.stdout + run.stderr).includes(secret), `echoed the password: ${run.stdout}${run.stderr}`);
      });
    } finally {
      await redis.close();
    }
  });

  it('names an embedding endpoint that does not answer in one line, and exits 69', async () => {
    const closed = await freePort();
    const database = join(dir, 'embedded.db');
    serviceHelper('storage/sqlite.connection.js').openSqliteDatabase(database, {}).close();
    const env = {
      MCP_MEMORY_SQLITE_PATH: database,
      ENGRAM_EMBEDDING_PROVIDER: 'openai',
      MCP_EXTERNAL_EMBEDDING_URL: `http://127.0.0.1:${closed}/v1`,
      MCP_EXTERNAL_EMBEDDING_MODEL: 'absent-model',
    };
    const run = await runEngram(['list'], env, dir);
    assert.equal(run.code, 69, run.stderr);
    assert.ok(
      run.stderr.startsWith(`engram: Embedding endpoint http://127.0.0.1:${closed}/v1/embeddings failed after `),
      run.stderr,
    );
    assert.equal(run.stderr.split('\n').length, 2, `one line: ${run.stderr}`);
  });

  it('stops `engram serve` on a port in use with one line (69) before it creates anything', async () => {
    const busy = createServer();
    busy.listen(0, '127.0.0.1');
    await once(busy, 'listening');
    const { port } = busy.address() as AddressInfo;
    const home = join(dir, 'busy-port');
    mkdirSync(home);
    try {
      const run = await runEngram(['serve', '--port', String(port)], {}, home);
      assert.equal(run.code, 69, run.stderr);
      assert.equal(
        run.stderr,
        `engram: port ${port} on 127.0.0.1 is in use (another Engram?); stop it or choose another port with MCP_HTTP_PORT or --port\n`,
      );
      assert.equal(run.stdout, '', 'no start-up lines (a new database, the model) before the refusal');
      assert.deepEqual(readdirSync(home), [], 'no database, no model cache');
    } finally {
      busy.close();
    }
  });

  it('stops `engram serve` on a host that is no address here with one line naming MCP_HTTP_HOST (78)', async () => {
    const port = await freePort();
    const choices = '127.0.0.1 for this machine only, 0.0.0.0 (or ::) for every interface, or one of its own addresses';
    const cases = [
      // 192.0.2.0/24 is TEST-NET-1: documentation only, never an address of this machine.
      { host: '192.0.2.1', line: '192.0.2.1 is not an address of this machine, so nothing can listen on it' },
      { host: 'no-such-host.invalid', line: 'no-such-host.invalid is not a host name this machine can resolve' },
    ];
    for (const { host, line } of cases) {
      const home = join(dir, `no-address-${host}`);
      mkdirSync(home);
      // With a key the server binds where it is told (without one it stays on loopback whatever the host).
      const env = { MCP_API_KEY: 'k'.repeat(32) };
      const run = await runEngram(['serve', '--host', host, '--port', String(port)], env, home);
      assert.equal(run.code, 78, run.stderr);
      assert.equal(run.stderr, `engram: ${line}; set MCP_HTTP_HOST (or --host) to ${choices}\n`);
      assert.equal(run.stdout, '', 'no start-up lines before the refusal');
      assert.deepEqual(readdirSync(home), [], 'no database, no model cache');
    }
  });

  it('names flag problems as typed and against the command', async () => {
    const swallowed = await runEngram(['keys', 'create', '--name', '--scopes', 'read'], {}, dir);
    assert.equal(swallowed.code, 64);
    assert.match(swallowed.stderr, /^engram keys: --name needs a value\n/);
    const unknown = await runEngram(['backup', '--dryrun'], {}, dir);
    assert.equal(unknown.code, 64);
    assert.match(unknown.stderr, /^engram backup: unknown option --dryrun; accepted: --json, --yes, --db, --env-file/);
  });

  it('refuses a flag the command does not read, naming it (64): serve as every other command', async () => {
    const refusals = [
      { args: ['serve', '--bogus'], problem: 'serve: unknown option --bogus; accepted: --db, --env-file' },
      { args: ['worker', '--port', '9000'], problem: 'worker: unknown option --port; accepted: --db, --env-file' },
      {
        args: ['health', '--host', '0.0.0.0'],
        problem: 'health: unknown option --host; accepted: --ready, --timeout, --db, --env-file, --port',
      },
      { args: ['list', '--host', '0.0.0.0'], problem: 'list: unknown option --host; accepted: --tags' },
      {
        args: ['keys', 'list', '--embedding-provider', 'openai'],
        problem: 'keys: unknown option --embedding-provider;',
      },
      { args: ['migrate-storage', '--db', 'x.db'], problem: 'migrate-storage: unknown option --db; accepted: --from' },
    ];
    for (const { args, problem } of refusals) {
      const run = await runEngram(args, {}, dir);
      assert.equal(run.code, 64, `${args.join(' ')}: ${run.stderr}`);
      assert.ok(run.stderr.startsWith(`engram ${problem}`), `${args.join(' ')}: ${run.stderr}`);
    }
  });

  it('refuses a flag that the chosen action does not read instead of ignoring it (64)', async () => {
    const db = join(dir, 'actions.db');
    serviceHelper('storage/sqlite.connection.js').openSqliteDatabase(db, {}).close();
    const refusals = [
      { args: ['keys', 'list', '--name', 'ci'], problem: 'keys: --name goes with keys create, not keys list' },
      {
        args: ['keys', 'revoke', '00000000-0000-4000-8000-000000000000', '--scopes', 'read'],
        problem: 'keys: --scopes goes with keys create, not keys revoke',
      },
      {
        args: ['consolidate', '--apply', 'cs-1', '--similarity', '0.9'],
        problem: 'consolidate: --similarity tunes a new run, not --apply of a reviewed set',
      },
      {
        args: ['mcp', '--url', 'https://memory.example.com/mcp', '--db', db],
        problem: 'mcp: --db configures the local server, not a bridge (--url)',
      },
    ];
    for (const { args, problem } of refusals) {
      const run = await runEngram([...args, ...(args[0] === 'mcp' ? [] : ['--db', db])], {}, dir);
      assert.equal(run.code, 64, `${args.join(' ')}: ${run.stderr}`);
      assert.equal(run.stderr.split('\n')[0], `engram ${problem}`, args.join(' '));
    }
  });

  it('says that a malformed backup id is not one and what one looks like (64)', async () => {
    const run = await runEngram(['restore', '../x'], {}, dir);
    assert.equal(run.code, 64, run.stderr);
    assert.equal(
      run.stderr.split('\n')[0],
      'engram restore: "../x" is not a backup id: one looks like backup-20260122T054304123Z (engram restore --list shows them)',
    );
  });

  it("takes integer flags as digits only: a negative, hex or exponent value is refused by the flag's rule (64)", async () => {
    const refusals = [
      { args: ['search', 'x', '--limit', '-1'], problem: 'search: --limit: expected an integer from 1 to 100' },
      { args: ['search', 'x', '--limit', '1e1'], problem: 'search: --limit: expected an integer from 1 to 100' },
      { args: ['list', '--page-size', '-5'], problem: 'list: --page-size: expected an integer from 1 to 100' },
      {
        args: ['keys', 'create', '--name', 'k', '--scopes', 'admin', '--expires-days', '0x10'],
        problem: 'keys: --expires-days: expected an integer from 1 to 3650',
      },
      {
        args: ['consolidate', '--stale-days', '1e1'],
        problem: 'consolidate: --stale-days: expected an integer from 1 to 36500',
      },
      {
        args: ['consolidate', '--stale-days', '-2'],
        problem: 'consolidate: --stale-days: expected an integer from 1 to 36500',
      },
      { args: ['consolidate', '--apply', 'set-1', '--items', '1,0x10'], problem: 'consolidate: --items: item numbers' },
    ];
    for (const { args, problem } of refusals) {
      const run = await runEngram(args, {}, dir);
      assert.equal(run.code, 64, `${args.join(' ')}: ${run.stderr}`);
      assert.ok(run.stderr.startsWith(`engram ${problem}`), `${args.join(' ')}: ${run.stderr}`);
    }
  });

  it("names a bad flag value in plain words, never zod's (64)", async () => {
    const refusals = [
      { args: ['search', 'x', '--mode', 'fuzzy'], problem: 'search: --mode: expected hybrid, semantic or keyword' },
      { args: ['list', '--page', '0'], problem: 'list: --page: expected an integer from 1 to 1000000' },
      { args: ['keys', 'create', '--scopes', 'read'], problem: 'keys: --name is required' },
      { args: ['keys', 'create', '--name', 'k'], problem: 'keys: --scopes is required' },
      {
        args: ['keys', 'create', '--name', 'k', '--scopes', 'all'],
        problem: 'keys: --scopes: expected read, write or admin',
      },
      { args: ['audit', '--limit', '0'], problem: 'audit: --limit: expected an integer from 1 to 500' },
      { args: ['audit', '--principal', ''], problem: 'audit: --principal must not be empty' },
    ];
    for (const { args, problem } of refusals) {
      const run = await runEngram(args, {}, dir);
      assert.equal(run.code, 64, `${args.join(' ')}: ${run.stderr}`);
      assert.equal(run.stderr.split('\n')[0], `engram ${problem}`, args.join(' '));
    }
  });

  it('takes decimal flags as digits with an optional decimal point, within their range (64)', async () => {
    const similarity = 'consolidate: --similarity: expected a number from 0.5 to 1';
    const timeout = 'health: --timeout: expected a number above 0, at most 300';
    const refusals = [
      ...['', '0x1', '1e0', ' 0.9 ', '-0.9', '0.4', 'NaN'].map((value) => ({
        args: ['consolidate', '--similarity', value],
        problem: similarity,
      })),
      ...['', '0x10', '1e1', ' 5 ', '0', '301', 'Infinity'].map((value) => ({
        args: ['health', '--timeout', value],
        problem: timeout,
      })),
    ];
    for (const { args, problem } of refusals) {
      const run = await runEngram(args, {}, dir);
      assert.equal(run.code, 64, `${JSON.stringify(args)}: ${run.stderr}`);
      assert.ok(run.stderr.startsWith(`engram ${problem} (`), `${JSON.stringify(args)}: ${run.stderr}`);
    }
  });

  it('refuses a bridge URL holding a user name or password (64) without echoing them', async () => {
    const secret = 'PW-s3cret';
    const refusals: { args: string[]; env: Record<string, string>; problem: RegExp }[] = [
      { args: ['mcp', '--url', `https://user:${secret}@127.0.0.1:9/mcp`], env: {}, problem: /--url must not hold/ },
      {
        args: ['mcp'],
        env: { MCP_MEMORY_HTTP_ENDPOINT: `http://${secret}@127.0.0.1:9/api` },
        problem: /ENDPOINT must/,
      },
      { args: ['mcp', '--url', `ftp://user:${secret}@127.0.0.1/mcp`], env: {}, problem: /must not hold/ },
      { args: ['mcp', '--url', `https://user:${secret}@127.0.0.1:99999/mcp`], env: {}, problem: /is not a URL/ },
    ];
    for (const { args, env, problem } of refusals) {
      const run = await runEngram(args, env, dir);
      assert.equal(run.code, 64, `${args.join(' ')}: ${run.stderr}`);
      assert.match(run.stderr.split('\n')[0], problem);
      assert.ok(!run.stderr.includes(secret) && !run.stdout.includes(secret), `echoed: ${run.stderr}`);
    }
  });
});
