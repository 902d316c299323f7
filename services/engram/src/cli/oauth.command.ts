import { AuditService } from '../audit/audit.service';
import { OAuthService } from '../oauth/oauth.service';
import { openStores } from '../storage/storage.module';
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
    const stores = await openStores(config);
    try {
      const oauth = new OAuthService(stores.oauth, config, new AuditService(stores.audit, config));
      await oauth.prune();
      return printJson(action === 'clients' ? { clients: await oauth.listClients() } : await oauth.revokeClient(id));
    } catch (error) {
      process.stderr.write(`engram oauth: ${(error as Error).message}\n`);
      return 1;
    } finally {
      await stores.close();
    }
  },
};
