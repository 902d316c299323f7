/**
 * bench/run.mjs's command line: `--storage` picks the backend and its plan, the default plan is SQLite's
 * as before, and an unknown backend is refused by the real script before it does any work.
 * Run: npm test -- bench/
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseBenchArgs } from './bench-args.mjs';
import { ROOT } from './dist.mjs';

describe('bench --storage', () => {
  it('defaults to SQLite with the 100k plan and results file it always had', () => {
    const args = parseBenchArgs([]);
    assert.equal(args.storage, 'sqlite');
    assert.equal(args.name, 'engram');
    assert.deepEqual(args.plan.sizes, [10_000, 100_000]);
    assert.equal(args.plan.concurrencyAt, 100_000);
    assert.deepEqual(parseBenchArgs(['--scale', '1m']).plan.sizes, [10_000, 100_000, 1_000_000]);
    assert.equal(parseBenchArgs(['--quick']).name, 'engram-quick');
  });

  it('runs PostgreSQL at 10k memories (2k quick) into its own results file', () => {
    const args = parseBenchArgs(['--storage', 'postgres']);
    assert.equal(args.storage, 'postgres');
    assert.equal(args.name, 'engram-postgres');
    assert.deepEqual(args.plan.sizes, [10_000]);
    assert.equal(args.plan.concurrencyAt, 10_000);
    const quick = parseBenchArgs(['--storage=postgres', '--quick']);
    assert.equal(quick.name, 'engram-postgres-quick');
    assert.deepEqual(quick.plan.sizes, [2_000]);
    assert.equal(parseBenchArgs(['--storage', 'sqlite']).name, 'engram');
  });

  it('refuses an unknown backend, and --scale with PostgreSQL, naming what is accepted', () => {
    assert.throws(() => parseBenchArgs(['--storage', 'mysql']), {
      message: '--storage must be one of sqlite, postgres (got "mysql")',
    });
    assert.throws(
      () => parseBenchArgs(['--storage', 'postgres', '--scale', '100k']),
      /--scale is for --storage sqlite/,
    );
    assert.throws(() => parseBenchArgs(['--scale', '10m']), /--scale must be one of 100k, 1m/);
  });

  it('stops bench/run.mjs with that message and exit code 2 before any work', () => {
    const result = spawnSync(process.execPath, [join(ROOT, 'bench/run.mjs'), '--storage', 'postgres-native'], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    assert.equal(result.status, 2);
    assert.equal(result.stderr, 'bench: --storage must be one of sqlite, postgres (got "postgres-native")\n');
  });
});
