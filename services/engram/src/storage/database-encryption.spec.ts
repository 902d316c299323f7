import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterEach, describe, it, mock } from 'node:test';
import { recordDiskCalls } from '../testing/disk-calls';
import { makeTempDir } from '../testing/test-app';
import { encryptDatabaseInPlace } from './database-encryption';
import { isPlaintextDatabase } from './database-key';

describe('encryptDatabaseInPlace', () => {
  afterEach(() => mock.restoreAll());

  it('puts the encrypted copy on disk before it replaces the plaintext database, and the rename after', () => {
    const dir = makeTempDir();
    const path = join(dir, 'engram.db');
    const db = new Database(path);
    db.exec("CREATE TABLE notes (text TEXT); INSERT INTO notes VALUES ('kept')");
    db.close();
    const calls = recordDiskCalls();
    encryptDatabaseInPlace(path, 'a key of the test');
    const copy = `${path}.encrypting`;
    assert.deepEqual(
      calls.filter((call) => call.includes(copy) || call === `fsync ${dir}`),
      [`fsync ${copy}`, `rename ${copy} -> ${path}`, `fsync ${dir}`],
    );
    assert.equal(isPlaintextDatabase(path), false);
  });
});
