import { AuditService } from '../audit/audit.service';
import { OAuthService } from '../oauth/oauth.service';
import { NotFound } from '../common/domain-errors';
import { openStores } from '../storage/storage.module';
import { plainFailure } from '../process/plain-failure';
import { ParsedArgs, parseCommandArgs, TABLES_CONFIG } from './cli-args';
import { CliCommand } from './cli-command';
import { configUsage, printJson, printTable, usageError } from './cli-output';
import { confirmed, consentProblem, declined, YES_FLAG } from './confirm';
import { configForExistingStore } from './existing-store';

const USAGE = `usage:
  engram oauth clients [--json]                   list connectors approved through OAuth, with their live tokens
  engram oauth revoke <client id> [--yes] [--json]
      revoke every token of a connector (it must be approved again). On a terminal it asks first (only y
      or yes goes ahead; anything else exits 1, nothing changed); --yes does not ask, and without a
      terminal to ask on (as in scripts) revoke needs --yes (exit 64 otherwise). An unknown id exits 66.
  ${configUsage(TABLES_CONFIG)}`;

export const oauthCommand: CliCommand = {
  usage: USAGE,
  async run(argv) {
    const args = parseCommandArgs(argv, { json: { type: 'boolean' }, ...YES_FLAG }, { config: TABLES_CONFIG });
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
    if (action === 'clients' && args.flags.yes) return usageError('oauth', '--yes goes with oauth revoke', USAGE);
    const noConsent = action === 'revoke' ? consentProblem(args, "revokes a connector's tokens") : undefined;
    if (noConsent) return usageError('oauth', noConsent, USAGE);
    const config = configForExistingStore('oauth', args.configArgv);
    if (typeof config === 'number') return config;
    const stores = await openStores(config);
    try {
      // Listing and revoking fetch no metadata document, so the limiter (the store's, which the servers use
      // only without Redis) is never asked.
      const audit = new AuditService(stores.audit, config);
      const oauth = new OAuthService(stores.oauth, config, audit, stores.failureLimiter);
      await oauth.prune();
      const json = args.flags.json === true;
      if (action === 'clients') {
        const clients = await oauth.listClients();
        return json ? printJson({ clients }) : printClients(clients);
      }
      return await revokeClient(oauth, id, args);
    } catch (error) {
      if (plainFailure(error)) throw error; // engram.ts says it in one line, with its own code (a busy store: 75)
      process.stderr.write(`engram oauth: ${(error as Error).message}\n`);
      return error instanceof NotFound ? 66 : 1; // EX_NOINPUT: no key or client with that id
    } finally {
      await stores.close();
    }
  },
};

type ClientView = Awaited<ReturnType<OAuthService['listClients']>>[number];

/**
 * Revokes every token of the connector `id` once the user said yes (see confirm.ts). An id no connector
 * has is not asked about: the service's NotFound says it (66).
 */
async function revokeClient(oauth: OAuthService, id: string, args: ParsedArgs): Promise<number> {
  const client = (await oauth.listClients()).find((candidate) => candidate.client_id === id);
  if (client) {
    const which = `${client.client_name ?? client.client_id} (${client.client_id}, ${client.active_tokens} live token(s))`;
    const question = `Revoke every token of ${which}? It must be approved again to connect.`;
    if (!(await confirmed(question, args))) return declined('oauth revoke');
  }
  const revoked = await oauth.revokeClient(id);
  if (args.flags.json === true) return printJson(revoked);
  process.stdout.write(`revoked ${revoked.revoked_tokens} token(s) of ${revoked.client_id}\n`);
  return 0;
}

function printClients(clients: ClientView[]): number {
  if (clients.length === 0) {
    process.stderr.write('no OAuth connectors yet\n');
    return 0;
  }
  const day = (iso: string | null) => iso?.slice(0, 10) ?? '-';
  return printTable(
    ['CLIENT ID', 'NAME', 'SOURCE', 'APPROVED', 'LIVE TOKENS', 'NAMESPACES', 'LAST TOKEN'],
    clients.map((client) => [
      client.client_id,
      client.client_name ?? '-',
      client.source,
      day(client.approved_at),
      String(client.active_tokens),
      client.namespaces.join(',') || '-',
      day(client.last_token_at),
    ]),
  );
}
