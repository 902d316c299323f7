import { loadConfigOrReport } from '../http/run-api';
import { DatabaseInUse, DatabaseMissing, encryptDatabaseInPlace } from '../storage/database-encryption';
import { CliCommand } from './cli-command';

const USAGE = 'usage: engram encrypt [--db <file>] [--env-file <file>]   (with ENGRAM_DB_ENCRYPTION_KEY or _FILE set)';

export const encryptCommand: CliCommand = {
  summary: 'encrypt a plaintext database in place with ENGRAM_DB_ENCRYPTION_KEY (stop Engram first)',
  async run(argv) {
    const config = loadConfigOrReport(argv);
    if (!config) return 78; // EX_CONFIG
    const { sqlitePath, encryptionKey } = config.storage;
    if (encryptionKey === undefined) {
      process.stderr.write(`engram encrypt: set ENGRAM_DB_ENCRYPTION_KEY or ENGRAM_DB_ENCRYPTION_KEY_FILE\n${USAGE}\n`);
      return 78;
    }
    if (sqlitePath === ':memory:') {
      process.stderr.write(`engram encrypt: an in-memory database has no file to encrypt\n`);
      return 64; // EX_USAGE
    }
    try {
      const outcome = encryptDatabaseInPlace(sqlitePath, encryptionKey);
      if (!outcome) {
        process.stderr.write(`engram encrypt: ${sqlitePath} is already encrypted with this key\n`);
        return 0;
      }
      process.stdout.write(`${JSON.stringify(outcome, null, 2)}\n`);
      process.stderr.write(
        'engram encrypt: done. Backups taken before now are still plaintext: take a new backup, then delete them.\n',
      );
      return 0;
    } catch (error) {
      if (!(error instanceof DatabaseInUse || error instanceof DatabaseMissing)) throw error;
      process.stderr.write(`engram encrypt: ${error.message}\n`);
      return error instanceof DatabaseInUse ? 75 : 66; // EX_TEMPFAIL, EX_NOINPUT
    }
  },
};
