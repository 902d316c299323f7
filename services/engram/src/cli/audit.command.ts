import { AuditEvent } from '../audit/audit-event';
import { AuditQueryInput } from '../audit/audit.dto';
import { toAuditPageView } from '../audit/audit.view';
import { openStores } from '../storage/storage.module';
import { FlagSpec, parseCommandArgs, TABLES_CONFIG } from './cli-args';
import { CliCommand } from './cli-command';
import { configUsage, printJson, printTable, usageError } from './cli-output';
import { configForExistingStore } from './existing-store';
import { describeFlagIssues } from './flag-issues';

const USAGE = `usage:
  engram audit [--action <action>] [--principal <id>] [--namespace <ns>] [--since <ISO time>] [--until <ISO time>]
               [--limit <1-500>] [--cursor <id>] [--json]
  newest first; --cursor takes the id the previous page ends with
  ${configUsage(TABLES_CONFIG)}`;

const FILTERS = ['action', 'principal', 'namespace', 'since', 'until', 'limit', 'cursor'] as const;
const FLAGS: FlagSpec = {
  ...Object.fromEntries(FILTERS.map((name) => [name, { type: 'string' }])),
  json: { type: 'boolean' },
};

export const auditCommand: CliCommand = {
  usage: USAGE,
  async run(argv) {
    const args = parseCommandArgs(argv, FLAGS, { config: TABLES_CONFIG });
    if ('problem' in args) return usageError('audit', args.problem, USAGE);
    if (args.positionals.length > 0) return usageError('audit', `unexpected "${args.positionals.join(' ')}"`, USAGE);
    const parsed = AuditQueryInput.safeParse(
      Object.fromEntries(
        FILTERS.filter((name) => args.flags[name] !== undefined).map((name) => [name, args.flags[name]]),
      ),
    );
    if (!parsed.success) {
      return usageError(
        'audit',
        describeFlagIssues(parsed.error, (field) => `--${field}`),
        USAGE,
      );
    }
    const config = configForExistingStore('audit', args.configArgv);
    if (typeof config === 'number') return config;
    const stores = await openStores(config);
    try {
      const page = await stores.audit.find(parsed.data);
      if (args.flags.json) return printJson(toAuditPageView(page));
      if (page.events.length === 0) {
        process.stdout.write('No audit entries match.\n');
        return 0;
      }
      printTable(
        COLUMNS.map(([title]) => title),
        page.events.map((event) => COLUMNS.map(([, cell]) => cell(event))),
      );
      if (page.nextCursor !== null) process.stdout.write(`(older entries: --cursor ${page.nextCursor})\n`);
      return 0;
    } finally {
      await stores.close();
    }
  },
};

const COLUMNS: [string, (event: AuditEvent) => string][] = [
  ['TIME', (event) => new Date(event.at).toISOString()],
  ['ACTION', (event) => event.action],
  ['OUTCOME', (event) => event.outcome],
  ['PRINCIPAL', (event) => `${event.principal.kind}:${event.principal.name ?? event.principal.id}`],
  ['NAMESPACE', (event) => event.namespace ?? '*'],
  ['ADDRESS', (event) => event.clientAddress],
  ['TARGET', (event) => event.target ?? ''],
];
