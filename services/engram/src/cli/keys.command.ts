import { toKeyView } from '../auth/keys/api-keys.controller';
import { CreateApiKeyBody } from '../auth/keys/api-key.dto';
import { ApiKeyService } from '../auth/keys/api-key.service';
import { loadConfigOrReport } from '../http/run-api';
import { openSqliteDatabase } from '../storage/sqlite.connection';
import { CliCommand } from './cli-command';

const USAGE = `usage:
  engram keys create --name <name> --scopes read[,write][,admin] [--namespace <ns>] [--expires-days <n>]
  engram keys list
  engram keys revoke <key id>
  (plus the configuration flags, e.g. --db <file>)`;

const OWN_FLAGS = ['--name', '--scopes', '--namespace', '--expires-days'];

export const keysCommand: CliCommand = {
  summary: 'create, list and revoke API keys (the secret is printed once, at creation)',
  async run(argv) {
    const [action, ...rest] = argv;
    const { flags, positionals, configArgv } = splitArguments(rest);
    const config = loadConfigOrReport(configArgv);
    if (!config) return 78; // EX_CONFIG
    const db = openSqliteDatabase(config.storage.sqlitePath, config.storage.pragmas, config.storage.encryptionKey);
    try {
      const keys = new ApiKeyService(db);
      if (action === 'list' && positionals.length === 0) return print({ keys: keys.list().map(toKeyView) });
      if (action === 'revoke' && positionals.length === 1) return print(toKeyView(keys.revoke(positionals[0])));
      if (action === 'create' && positionals.length === 0) {
        const parsed = CreateApiKeyBody.safeParse({
          name: flags['--name'],
          scopes: flags['--scopes']?.split(',').map((scope) => scope.trim()),
          namespace: flags['--namespace'],
          expires_in_days: flags['--expires-days'] === undefined ? undefined : Number(flags['--expires-days']),
        });
        if (!parsed.success)
          return usage(parsed.error.issues.map((i) => `--${String(i.path[0])}: ${i.message}`).join('; '));
        const { name, scopes, namespace, expires_in_days } = parsed.data;
        const expiresAt = expires_in_days === undefined ? undefined : Date.now() + expires_in_days * 86_400_000;
        const { key, record } = keys.create({ name, scopes, namespace, expiresAt });
        process.stderr.write('Store this key now: it is not shown again.\n');
        return print({ key, ...toKeyView(record) });
      }
      return usage(action === undefined ? 'say what to do' : `cannot "${[action, ...positionals].join(' ')}"`);
    } catch (error) {
      process.stderr.write(`engram keys: ${(error as Error).message}\n`);
      return 1;
    } finally {
      db.close();
    }
  },
};

function print(value: unknown): number {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  return 0;
}

function usage(problem: string): number {
  process.stderr.write(`engram keys: ${problem}\n${USAGE}\n`);
  return 64; // EX_USAGE
}

function splitArguments(argv: readonly string[]) {
  const flags: Record<string, string> = {};
  const positionals: string[] = [];
  const configArgv: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split(/=(.*)/s, 2);
    if (OWN_FLAGS.includes(flag)) flags[flag] = inline ?? argv[++i] ?? '';
    else if (flag.startsWith('-'))
      configArgv.push(argv[i], ...(inline === undefined && argv[i + 1] ? [argv[++i]] : []));
    else positionals.push(argv[i]);
  }
  return { flags, positionals, configArgv };
}
