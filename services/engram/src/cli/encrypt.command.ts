import { loadConfigOrReport } from '../config/config.loader';
import { DatabaseInUse, DatabaseMissing, encryptDatabaseInPlace } from '../storage/database-encryption';
import { parseCommandArgs, TABLES_CONFIG } from './cli-args';
import { CliCommand } from './cli-command';
import { configUsage, usageError } from './cli-output';
import { refuseMissingDatabase } from './existing-store';

const USAGE = `usage: engram encrypt   (with ENGRAM_DB_ENCRYPTION_KEY or _FILE set; stop Engram first)
  ${configUsage(TABLES_CONFIG)}`;

export const encryptCommand: CliCommand = {
  usage: USAGE,
  async run(argv) {
    const args = parseCommandArgs(argv, {}, { config: TABLES_CONFIG });
    if ('problem' in args) return usageError('encrypt', args.problem, USAGE);
    if (args.positionals.length > 0) return usageError('encrypt', `unexpected "${args.positionals[0]}"`, USAGE);
    const config = loadConfigOrReport(args.configArgv);
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
    const refused = refuseMissingDatabase('encrypt', config);
    if (refused !== undefined) return refused;
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
