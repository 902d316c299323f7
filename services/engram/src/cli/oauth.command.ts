import { AuditService } from '../audit/audit.service';
import { SqliteAuditRepository } from '../audit/sqlite-audit.repository';
import { OAuthService } from '../oauth/oauth.service';
import { openSqliteDatabase } from '../storage/sqlite.connection';
import { SqliteOAuthStore } from '../storage/sqlite/sqlite-oauth.store';
import { parseCommandArgs } from './cli-args';
import { CliCommand } from './cli-command';
import { CONFIG_USAGE, printJson, usageError } from './cli-output';
import { configForExistingStore } from './existing-store';

const USAGE = `usage:
  engram oauth clients             list connectors approved through OAuth, with their live tokens
  engram oauth revoke <client id>  revoke every token of a connector (it must be approved again)
  ${CONFIG_USAGE}`;

export const oauthCommand: CliCommand = {
  usage: USAGE,
  async run(argv) {
    const args = parseCommandArgs(argv, {});
    if ('problem' in args) return usageError('oauth', args.problem, USAGE);
    const [action, id] = args.positionals;
    const count = args.positionals.length;
    if (!((action === 'clients' && count === 1) || (action === 'revoke' && count === 2))) {
      return usageError(
        'oauth',
        action === undefined ? 'say what to do' : `cannot "${args.positionals.join(' ')}"`,
        USAGE,
      );
    }
    const config = configForExistingStore('oauth', args.configArgv);
    if (typeof config === 'number') return config;
    const db = openSqliteDatabase(config.storage.sqlitePath, config.storage.pragmas, config.storage.encryptionKey);
    try {
      const audit = new AuditService(new SqliteAuditRepository(db), config);
      const oauth = new OAuthService(new SqliteOAuthStore(db), config, audit);
      await oauth.prune();
      return printJson(action === 'clients' ? { clients: await oauth.listClients() } : await oauth.revokeClient(id));
    } catch (error) {
      process.stderr.write(`engram oauth: ${(error as Error).message}\n`);
      return 1;
    } finally {
      db.close();
    }
  },
};
