import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidInput, NotFound, StoreBusy } from '../common/domain-errors';
import { plainFailure } from '../process/plain-failure';
import { refusal } from './cli-output';

/** What `work` answers and writes to stderr (kept from the test's own output). */
function captureStderr<T>(work: () => T): { result: T; text: string } {
  const written: string[] = [];
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((chunk: string | Uint8Array) => written.push(String(chunk)) > 0) as typeof write;
  try {
    return { result: work(), text: written.join('') };
  } finally {
    process.stderr.write = write;
  }
}

describe("a command's failures and their exit codes", () => {
  it('says a refusal after the flag it is about: 64 for refused input, else 1', () => {
    const flagOf = (field: string) => (field === 'item_ids' ? '--items' : undefined);
    const invalid = new InvalidInput('item_ids not in proposal set cs-1: 7', { issues: [{ path: 'item_ids' }] });
    const refused = captureStderr(() => refusal('consolidate', invalid, flagOf));
    assert.deepEqual(refused, { result: 64, text: 'engram consolidate: --items: not in proposal set cs-1: 7\n' });
    assert.equal(captureStderr(() => refusal('keys', new NotFound('No key k1'), flagOf)).result, 1);
  });

  it('leaves a busy store (PostgreSQL timed out, SQLite locked) to engram.ts: one line to try again, 75', () => {
    const busy = new StoreBusy('The database is busy (a statement or lock wait timed out); retry shortly');
    assert.throws(
      () => refusal('consolidate', busy, () => undefined),
      (error) => error === busy,
    );
    assert.deepEqual(plainFailure(busy), { line: busy.message, exitCode: 75 });
    const locked = Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' });
    assert.deepEqual(plainFailure(locked), {
      line: 'The database is locked by a long write elsewhere (a restore or reindex switch); retry shortly',
      exitCode: 75,
    });
  });
});
