import { AuditService } from '../audit/audit.service';
import { LOCKED_WARNING, toKeyView } from '../auth/keys/api-keys.controller';
import { CreateApiKeyBody, MAX_KEY_EXPIRY_DAYS } from '../auth/keys/api-key.dto';
import { ApiKeyService } from '../auth/keys/api-key.service';
import { NotFound, UnprocessableRequest } from '../common/domain-errors';
import { openStores } from '../storage/storage.module';
import { plainFailure } from '../process/plain-failure';
import { integerFlag, ParsedArgs, parseCommandArgs, TABLES_CONFIG } from './cli-args';
import { CliCommand } from './cli-command';
import { configUsage, printJson, printTable, usageError } from './cli-output';
import { confirmed, consentProblem, declined, YES_FLAG } from './confirm';
import { configForExistingStore } from './existing-store';
import { describeFlagIssues } from './flag-issues';

const USAGE = `usage:
  engram keys create --name <name> --scopes read[,write][,admin] [--namespace <ns>] [--expires-days <n>] [--json]
      prints the secret once; the first key must be an admin key (scopes include admin, no namespace):
      another is refused (exit 64, nothing stored)
  engram keys list [--json]
  engram keys revoke <key id> [--yes] [--json]
      for good: clients using the key are refused from then on. On a terminal it asks first (only y or
      yes goes ahead; anything else exits 1, nothing changed); --yes does not ask, and without a terminal
      to ask on (as in scripts) revoke needs --yes (exit 64 otherwise). An unknown id exits 66.
  ${configUsage(TABLES_CONFIG)}`;

const FLAGS = {
  name: { type: 'string' },
  scopes: { type: 'string' },
  namespace: { type: 'string' },
  'expires-days': { type: 'string' },
  json: { type: 'boolean' },
  ...YES_FLAG,
} as const;

/** What only `keys create` reads; list and revoke refuse them rather than ignore them. */
const CREATE_FLAGS = ['name', 'scopes', 'namespace', 'expires-days'] as const;

type KeyView = ReturnType<typeof toKeyView>;

export const keysCommand: CliCommand = {
  usage: USAGE,
  async run(argv) {
    const args = parseCommandArgs(argv, FLAGS, { config: TABLES_CONFIG });
    if ('problem' in args) return usageError('keys', args.problem, USAGE);
    const [action, ...positionals] = args.positionals;
    const { flags } = args;
    const known = ['create', 'list', 'revoke'].includes(action) && positionals.length === (action === 'revoke' ? 1 : 0);
    if (!known) {
      const problem = action === undefined ? 'say what to do' : `cannot "${args.positionals.join(' ')}"`;
      return usageError('keys', problem, USAGE);
    }
    const createOnly = CREATE_FLAGS.find((flag) => flags[flag] !== undefined);
    if (action !== 'create' && createOnly) {
      return usageError('keys', `--${createOnly} goes with keys create, not keys ${action}`, USAGE);
    }
    if (action !== 'revoke' && flags.yes)
      return usageError('keys', `--yes goes with keys revoke, not keys ${action}`, USAGE);
    const noConsent = action === 'revoke' ? consentProblem(args, 'revokes a key for good') : undefined;
    if (noConsent) return usageError('keys', noConsent, USAGE);
    const expiresDays = integerFlag(args, 'expires-days', 1, MAX_KEY_EXPIRY_DAYS);
    if (expiresDays.problem) return usageError('keys', expiresDays.problem, USAGE);
    const parsed = CreateApiKeyBody.safeParse({
      name: flags.name,
      scopes: typeof flags.scopes === 'string' ? flags.scopes.split(',').map((scope) => scope.trim()) : undefined,
      namespace: flags.namespace,
      expires_in_days: expiresDays.value,
    });
    if (action === 'create' && !parsed.success) {
      return usageError('keys', describeFlagIssues(parsed.error, flagOf), USAGE);
    }
    const config = configForExistingStore('keys', args.configArgv);
    if (typeof config === 'number') return config;
    const stores = await openStores(config);
    try {
      const keys = new ApiKeyService(stores.apiKeys, config, new AuditService(stores.audit, config));
      if (action === 'list') {
        const views = (await keys.list()).map(toKeyView);
        return flags.json ? printJson({ keys: views }) : printKeys(views);
      }
      if (action === 'revoke') return await revokeKey(keys, positionals[0], args);
      const { name, scopes, namespace, expires_in_days } = parsed.data!;
      const expiresAt = expires_in_days === undefined ? undefined : Date.now() + expires_in_days * 86_400_000;
      const { key, record, locksServer } = await keys.create({ name, scopes, namespace, expiresAt });
      process.stderr.write('Store this key now: it is not shown again.\n');
      if (locksServer) process.stderr.write(`\nWARNING: ${LOCKED_WARNING}\n\n`);
      if (flags.json) return printJson({ key, ...toKeyView(record) });
      process.stdout.write(`${key}\n`);
      return say(createdLine(toKeyView(record)), process.stderr);
    } catch (error) {
      if (plainFailure(error)) throw error; // engram.ts says it in one line, with its own code (a busy store: 75)
      process.stderr.write(`engram keys: ${(error as Error).message}\n`);
      return exitCodeOf(error);
    } finally {
      await stores.close();
    }
  },
};

/**
 * 66 (EX_NOINPUT) for an id no key has; 64 (EX_USAGE) for a key the flags describe that may not be created
 * (a first key that is not a whole-store admin key: other flags would do); 1 otherwise.
 */
function exitCodeOf(error: unknown): number {
  if (error instanceof NotFound) return 66;
  return error instanceof UnprocessableRequest ? 64 : 1;
}

/**
 * Revokes the key `id` once the user said yes (see confirm.ts). An id no key has is not asked about: the
 * service's NotFound says it (66).
 */
async function revokeKey(keys: ApiKeyService, id: string, args: ParsedArgs): Promise<number> {
  const key = (await keys.list()).map(toKeyView).find((view) => view.id === id);
  if (key && !(await confirmed(`Revoke key ${keyLine(key)} for good?`, args))) return declined('keys revoke');
  const view = toKeyView(await keys.revoke(id));
  return args.flags.json ? printJson(view) : say(`revoked ${view.name} (${view.id})`);
}

/** What was made, said back in full: a namespace or expiry mistyped shows here, not at the first refusal. */
function createdLine(view: KeyView): string {
  return `created ${keyLine(view)}`;
}

/** A key in full, in the words of `keys create`'s answer: what the user made, or is about to revoke. */
function keyLine(view: KeyView): string {
  const namespace = view.namespace === null ? 'every namespace' : `namespace ${view.namespace}`;
  const expires = view.expires_at === null ? 'never expires' : `expires ${view.expires_at}`;
  return `${view.name} (${view.id}), scopes ${view.scopes.join(',')}, ${namespace}, ${expires}`;
}

function printKeys(views: KeyView[]): number {
  if (views.length === 0)
    return say('no keys yet (the server is open on loopback until one is created)', process.stderr);
  const day = (iso: string | null) => iso?.slice(0, 10) ?? '-';
  return printTable(
    ['ID', 'NAME', 'PREFIX', 'SCOPES', 'NAMESPACE', 'CREATED', 'LAST USED', 'EXPIRES', 'STATE'],
    views.map((key) => [
      key.id,
      key.name,
      key.prefix,
      key.scopes.join(','),
      key.namespace ?? '*',
      day(key.created_at),
      day(key.last_used_at),
      day(key.expires_at),
      key.revoked_at ? 'revoked' : key.expires_at && Date.parse(key.expires_at) <= Date.now() ? 'expired' : 'active',
    ]),
  );
}

/** The flag a field of the request body came from. */
function flagOf(field: string): string {
  return field === 'expires_in_days' ? '--expires-days' : `--${field}`;
}

function say(line: string, stream: NodeJS.WriteStream = process.stdout): number {
  stream.write(`${line}\n`);
  return 0;
}
