import type { Database } from 'better-sqlite3';
import { closeSync, openSync, readSync } from 'node:fs';
import { ConfigError } from '../config/config.loader';

const PLAINTEXT_HEADER = Buffer.from('SQLite format 3\0', 'latin1');
/** 64 hexadecimal digits: a raw 256-bit key, used as is (no key derivation: opening costs nothing). */
const RAW_KEY = /^[0-9a-f]{64}$/i;

/**
 * The database driver is better-sqlite3-multiple-ciphers (installed under the name better-sqlite3),
 * which writes SQLCipher 4's format when a key is set. A passphrase goes through SQLCipher's PBKDF2
 * (256,000 rounds of SHA-512) on every connection; a raw key skips it.
 */
export function keyClause(key: string): string {
  return RAW_KEY.test(key) ? `x'${key}'` : key;
}

/** Sets the cipher and the key on a fresh connection, before its first read. */
export function applyDatabaseKey(db: Database, key: string): void {
  assertCipherSupport(db);
  db.pragma(`cipher = 'sqlcipher'`);
  db.pragma('legacy = 4');
  db.pragma(`key = ${sqlString(keyClause(key))}`);
}

/** Encrypts a plaintext file in place (its connection must hold no transaction; not WAL). */
export function rekeyDatabase(db: Database, key: string): void {
  assertCipherSupport(db);
  db.pragma(`cipher = 'sqlcipher'`);
  db.pragma('legacy = 4');
  db.pragma(`rekey = ${sqlString(keyClause(key))}`);
}

/** True for a readable file that starts with SQLite's plaintext header; false for absent, empty or encrypted. */
export function isPlaintextDatabase(path: string): boolean {
  if (path === ':memory:') return false;
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return false;
  }
  try {
    const header = Buffer.alloc(PLAINTEXT_HEADER.length);
    return readSync(fd, header, 0, header.length, 0) === header.length && header.equals(PLAINTEXT_HEADER);
  } finally {
    closeSync(fd);
  }
}

/** The key to open a backup file with: none for one taken before the store was encrypted. */
export function keyOfFile(path: string, key: string | undefined): string | undefined {
  return key !== undefined && !isPlaintextDatabase(path) ? key : undefined;
}

/**
 * Checks that the live database opens with the configured key (or without one), before anything
 * else reads it; the answers are configuration problems, so start-up stops with exit code 78.
 */
export function unlockDatabase(db: Database, path: string, key: string | undefined): void {
  if (key !== undefined && path !== ':memory:') {
    if (isPlaintextDatabase(path)) {
      throw new ConfigError([
        `${path} is not encrypted but ENGRAM_DB_ENCRYPTION_KEY is set: stop Engram and run \`engram encrypt\` to encrypt it, or unset the key`,
      ]);
    }
    applyDatabaseKey(db, key);
  }
  try {
    db.prepare('SELECT count(*) FROM sqlite_master').get();
  } catch (error) {
    if ((error as { code?: string }).code !== 'SQLITE_NOTADB') throw error;
    throw new ConfigError([
      key === undefined
        ? `${path} is encrypted (or not a SQLite database): set ENGRAM_DB_ENCRYPTION_KEY or ENGRAM_DB_ENCRYPTION_KEY_FILE`
        : `${path} cannot be decrypted with ENGRAM_DB_ENCRYPTION_KEY (or ENGRAM_DB_ENCRYPTION_KEY_FILE): the key is wrong (or the file is not a database)`,
    ]);
  }
}

/**
 * Plain SQLite ignores the cipher pragmas without a word, so a build installed with the plain
 * better-sqlite3 (a lockfile that lost the alias) would write a plaintext database under a key.
 */
function assertCipherSupport(db: Database): void {
  // A pragma, not a query: a query would read the (still encrypted) schema first.
  if (typeof db.pragma('cipher', { simple: true }) !== 'string') {
    throw new ConfigError([
      "A database key is set but this build's SQLite driver cannot encrypt: better-sqlite3 must be installed as " +
        'npm:better-sqlite3-multiple-ciphers (see package.json); nothing was written',
    ]);
  }
}

function sqlString(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}
