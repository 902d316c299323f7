import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, chownSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePort } from './redis-server';

/**
 * The machine's own PostgreSQL server (Debian's postgresql-15 binaries), started on a new cluster in a
 * temporary folder on a free loopback port. It proves what PGlite cannot, being one session underneath:
 * locks between real sessions (advisory locks, row locks), as many separate backends as a deployment
 * has. Debian ships no pgvector for it; once pgvector is built and installed into these binaries
 * (docs/development.md), `CREATE EXTENSION vector` works here and whole stores can open on it.
 */
export interface NativePostgres {
  url: string;
  close(): Promise<void>;
}

const BIN = '/usr/lib/postgresql/15/bin';

/** True when pgvector is installed for these binaries, so stores (not only tables without vectors) can open. */
export function nativePgvectorInstalled(): boolean {
  return existsSync('/usr/share/postgresql/15/extension/vector.control');
}

export async function startNativePostgres(): Promise<NativePostgres> {
  const folder = mkdtempSync(join(tmpdir(), 'engram-pg-'));
  const data = join(folder, 'data');
  // initdb and postgres refuse to run as root: the cluster belongs to the `postgres` user then.
  const asRoot = process.getuid?.() === 0;
  const run = (command: string, args: string[]) =>
    asRoot ? (['runuser', ['-u', 'postgres', '--', command, ...args]] as const) : ([command, args] as const);
  const passwordFile = join(folder, 'password');
  writeFileSync(passwordFile, 'postgres\n');
  if (asRoot) {
    chmodSync(folder, 0o700);
    const [uid, gid] = ['-u', '-g'].map((flag) => Number(execFileSync('id', [flag, 'postgres']).toString()));
    chownSync(folder, uid, gid);
    chownSync(passwordFile, uid, gid);
  }
  const [initdb, initArgs] = run(join(BIN, 'initdb'), [
    '-D',
    data,
    '-U',
    'postgres',
    '--auth=scram-sha-256',
    `--pwfile=${passwordFile}`,
    '-E',
    'UTF8',
    '--no-sync',
  ]);
  execFileSync(initdb, initArgs, { stdio: 'ignore' });
  const port = await freePort();
  const [postgres, serverArgs] = run(join(BIN, 'postgres'), [
    '-D',
    data,
    '-p',
    String(port),
    '-k',
    folder,
    '-c',
    'listen_addresses=127.0.0.1',
    '-c',
    'fsync=off',
    // Every spec file's stores, several pools each, when a whole suite runs against this one server.
    '-c',
    'max_connections=400',
  ]);
  const server: ChildProcess = spawn(postgres, serverArgs, { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  server.stderr!.on('data', (chunk) => (log += chunk));
  const url = `postgres://postgres:postgres@127.0.0.1:${port}/postgres`;
  await untilAccepting(url, server, () => log);
  return {
    url,
    async close() {
      if (server.exitCode === null && server.signalCode === null) {
        // pg_ctl signals the postmaster itself (runuser does not pass signals on); fast: ends sessions.
        const exited = once(server, 'exit');
        const [pgCtl, stopArgs] = run(join(BIN, 'pg_ctl'), ['-D', data, 'stop', '-m', 'fast', '-w']);
        execFileSync(pgCtl, stopArgs, { stdio: 'ignore' });
        await exited;
      }
      rmSync(folder, { recursive: true, force: true });
    },
  };
}

async function untilAccepting(url: string, server: ChildProcess, log: () => string): Promise<void> {
  for (const deadline = Date.now() + 60_000; ;) {
    if (server.exitCode !== null) throw new Error(`postgres exited with ${server.exitCode}:\n${log()}`);
    const client = new pg.Client({ connectionString: url });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.end();
      return;
    } catch (error) {
      await client.end().catch(() => undefined);
      if (Date.now() > deadline)
        throw new Error(`postgres did not accept connections: ${(error as Error).message}\n${log()}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}
