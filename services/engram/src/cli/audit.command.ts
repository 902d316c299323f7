import { AuditEvent } from '../audit/audit-event';
import { AuditQueryInput } from '../audit/audit.dto';
import { toAuditPageView } from '../audit/audit.view';
import { SqliteAuditRepository } from '../audit/sqlite-audit.repository';
import { loadConfigOrReport } from '../http/run-api';
import { openSqliteDatabase } from '../storage/sqlite.connection';
import { splitArguments } from './cli-arguments';
import { CliCommand } from './cli-command';

const USAGE = `usage:
  engram audit [--action <action>] [--principal <id>] [--namespace <ns>] [--since <ISO time>] [--until <ISO time>]
               [--limit <1-500>] [--cursor <id>] [--json]
  (plus the configuration flags, e.g. --db <file>)`;

const FILTERS = ['--action', '--principal', '--namespace', '--since', '--until', '--limit', '--cursor'];

export const auditCommand: CliCommand = {
  summary: 'show the audit log: who created or revoked keys, approved connectors, restored, imported, …',
  async run(argv) {
    const { flags, positionals, configArgv } = splitArguments(argv, FILTERS, ['--json']);
    if (positionals.length > 0) return usage(`unexpected "${positionals.join(' ')}"`);
    const parsed = AuditQueryInput.safeParse(
      Object.fromEntries(FILTERS.filter((flag) => flag in flags).map((flag) => [flag.slice(2), flags[flag]])),
    );
    if (!parsed.success) {
      return usage(parsed.error.issues.map((issue) => `--${String(issue.path[0])}: ${issue.message}`).join('; '));
    }
    const config = loadConfigOrReport(configArgv);
    if (!config) return 78; // EX_CONFIG
    const db = openSqliteDatabase(config.storage.sqlitePath, config.storage.pragmas);
    try {
      const page = await new SqliteAuditRepository(db).find(parsed.data);
      if (flags['--json']) process.stdout.write(`${JSON.stringify(toAuditPageView(page), null, 2)}\n`);
      else process.stdout.write(renderTable(page.events, page.nextCursor));
      return 0;
    } finally {
      db.close();
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

/** A plain table, newest first, and how to get the next page. */
function renderTable(events: AuditEvent[], nextCursor: number | null): string {
  if (events.length === 0) return 'No audit entries match.\n';
  const rows = [COLUMNS.map(([title]) => title), ...events.map((event) => COLUMNS.map(([, cell]) => cell(event)))];
  const widths = COLUMNS.map((_, column) => Math.max(...rows.map((row) => row[column].length)));
  const lines = rows.map((row) =>
    row
      .map((cell, column) => cell.padEnd(widths[column]))
      .join('  ')
      .trimEnd(),
  );
  if (nextCursor !== null) lines.push(`(older entries: --cursor ${nextCursor})`);
  return `${lines.join('\n')}\n`;
}

function usage(problem: string): number {
  process.stderr.write(`engram audit: ${problem}\n${USAGE}\n`);
  return 64; // EX_USAGE
}
