import { loadConfigOrReport } from '../http/run-api';
import { OAuthService } from '../oauth/oauth.service';
import { openSqliteDatabase } from '../storage/sqlite.connection';
import { CliCommand } from './cli-command';
import { splitPositionals } from './job-command';

const USAGE = `usage:
  engram oauth clients             list connectors approved through OAuth, with their live tokens
  engram oauth revoke <client id>  revoke every token of a connector (it must be approved again)
  (plus the configuration flags, e.g. --db <file>)`;

export const oauthCommand: CliCommand = {
  summary: 'list OAuth connectors and revoke their access',
  async run(argv) {
    const { positionals, configArgv } = splitPositionals(argv);
    const [action, id] = positionals;
    const config = loadConfigOrReport(configArgv);
    if (!config) return 78; // EX_CONFIG
    const db = openSqliteDatabase(config.storage.sqlitePath, config.storage.pragmas, config.storage.encryptionKey);
    try {
      const oauth = new OAuthService(db, config);
      let result: unknown;
      if (action === 'clients' && positionals.length === 1) result = { clients: oauth.listClients() };
      else if (action === 'revoke' && id !== undefined && positionals.length === 2) result = oauth.revokeClient(id);
      else {
        process.stderr.write(
          `engram oauth: ${action === undefined ? 'say what to do' : `cannot "${positionals.join(' ')}"`}\n${USAGE}\n`,
        );
        return 64; // EX_USAGE
      }
      process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
      return 0;
    } catch (error) {
      process.stderr.write(`engram oauth: ${(error as Error).message}\n`);
      return 1;
    } finally {
      db.close();
    }
  },
};
