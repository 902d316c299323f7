import { resolve } from 'node:path';
import { FolderAgentFileStore } from '../agent/memory-dir/folder-agent-file.store';
import { loadConfigOrReport } from '../config/config.loader';
import { AppConfig } from '../config/config.types';
import { EmbeddingModel, EmbeddingModelMismatch } from '../storage/embedding-model.binding';
import {
  contentsOf,
  differences,
  migrateStorage,
  MigrationSide,
  StoreSummary,
  summarise,
} from '../storage/migration/storage-migration';
import { schedulesOwnedElsewhere } from '../jobs/schedule-owner';
import { PlainFailure, plainFailure } from '../process/plain-failure';
import { HeldLock, LockRepository } from '../storage/locks/lock.repository';
import { StoreInUse, StoreLocks } from '../storage/locks/store-locks';
import { PostgresAgentFileStore } from '../storage/postgres/postgres-agent-file.store';
import { memoryLimitsWithEntries } from '../storage/agent-file.rules';
import { PostgresLoginRefused, PostgresUnreachable } from '../storage/postgres/postgres.connection';
import { openPostgresStores } from '../storage/postgres/postgres.stores';
import { openSqliteStores } from '../storage/sqlite/sqlite.stores';
import { describePostgresUrl, missingSqliteFile } from '../storage/store-location';
import { ConfigFlag, parseCommandArgs } from './cli-args';
import { CliCommand } from './cli-command';
import { configUsage, printTable, usageError } from './cli-output';
import { progressPrinter } from './progress-bar';
import { nounFor } from '../common/counted';

/** Both sides are named by --from and --to; the environment gives the key, the pragmas and MEMORY_DIR. */
const CONFIG: readonly ConfigFlag[] = ['env-file'];

const USAGE = `usage: engram migrate-storage --from <sqlite file | postgres URL> --to <postgres URL | sqlite file>
                              [--memory-dir <dir>]
  Copies one store into another of the other backend: every memory of every namespace (deleted ones and
  supersession links included) with its vectors as stored, API keys, OAuth client registrations and the
  agent's memory files, then checks counts and checksums per namespace on both sides. A postgres:// or
  postgresql:// argument is a database, anything else a SQLite file. The target must be empty. Both sides
  are held as a restore holds a store: refused while a restore, backup, reindex, import or agent run holds
  either, and jobs started meanwhile wait for the copy. Stop the api and worker first.
  --memory-dir   the agent's memory folder on the SQLite side (default: MEMORY_DIR)
  Not copied: OAuth codes, tokens and pending consents (connectors sign in again), the audit log, usage
  counts, conflict suggestions, backups.
  Exit codes: 64 bad arguments, 65 target not empty or bound to another model, 66 no SQLite source database,
  69 a database could not be opened (a server that does not answer), 70 the copy does not match the source,
  75 a database busy or in use (held by a job, an api running the backup schedule or another writer),
  78 a login refused or a file that does not open with ENGRAM_DB_ENCRYPTION_KEY.
  ${configUsage(CONFIG)}`;

type Location = { kind: 'postgres'; url: string } | { kind: 'sqlite'; path: string };

export const migrateStorageCommand: CliCommand = {
  usage: USAGE,
  async run(argv) {
    const args = parseCommandArgs(
      argv,
      {
        from: { type: 'string' },
        to: { type: 'string' },
        'memory-dir': { type: 'string' },
      },
      { config: CONFIG },
    );
    if ('problem' in args) return usageError('migrate-storage', args.problem, USAGE);
    if (args.positionals.length > 0) return usageError('migrate-storage', `unexpected "${args.positionals[0]}"`, USAGE);
    const { from, to } = args.flags;
    if (typeof from !== 'string' || from === '') return usageError('migrate-storage', '--from is required', USAGE);
    if (typeof to !== 'string' || to === '') return usageError('migrate-storage', '--to is required', USAGE);
    const [source, target] = [locate(from), locate(to)];
    if (source.kind === target.kind) {
      return usageError(
        'migrate-storage',
        `--from and --to are both ${source.kind === 'sqlite' ? 'SQLite files' : 'PostgreSQL databases'}; ` +
          'a migration goes from one backend to the other',
        USAGE,
      );
    }
    // Nothing, a folder or an empty file: SQLite would write a new database into an empty source.
    const missing = source.kind === 'sqlite' ? missingSqliteFile(source.path) : undefined;
    if (missing !== undefined) {
      process.stderr.write(`engram migrate-storage: ${missing} (--from)\n`);
      return 66; // EX_NOINPUT
    }
    const config = loadConfigOrReport(args.configArgv);
    if (!config) return 78; // EX_CONFIG
    const memoryDir =
      typeof args.flags['memory-dir'] === 'string' ? resolve(args.flags['memory-dir']) : config.memoryDir;
    return migrate(config, source, target, memoryDir);
  },
};

async function migrate(config: AppConfig, from: Location, to: Location, memoryDir: string): Promise<number> {
  const source = await open('--from', config, from, memoryDir, undefined);
  if (typeof source === 'number') return source;
  const claims: HeldLock[] = [];
  let target: MigrationSide | number | undefined;
  try {
    const refusal =
      (await claim('--from', from, source.stores.locks, claims)) ??
      (await refuseUnlessEmpty(config, to, memoryDir, claims));
    if (refusal !== undefined) return refusal;
    const model = await source.stores.settings.embeddingModel();
    target = await open('--to', config, to, memoryDir, model);
    if (typeof target === 'number') return target;
    const opened = target;
    return await stoppedWhenBusy(to, () => copyAndVerify(source, opened, { from, to, model }));
  } finally {
    if (typeof target === 'object') await target.stores.close();
    await source.stores.close();
    for (const held of claims.reverse()) await held.release();
  }
}

/**
 * Holds one side for the whole copy, as a restore holds a store (StoreLocks.claimWholeStore: backups,
 * imports, reindexing, restores and agent runs started meanwhile wait), its lock added to `claims`. Answers
 * 75 after one line naming what holds the side instead: a running job, or an api whose presence the
 * store's locks show (one that runs the backup schedule without Redis; any other api is not seen, hence
 * the docs' "stop the api first").
 */
async function claim(
  flag: string,
  location: Location,
  locks: LockRepository,
  claims: HeldLock[],
): Promise<number | undefined> {
  const side = `${describe(location)} (${flag})`;
  try {
    if (await schedulesOwnedElsewhere(locks)) {
      process.stderr.write(
        `engram migrate-storage: ${side} is in use by a running api (it runs the backup schedule); stop it first\n`,
      );
      return 75; // EX_TEMPFAIL
    }
    claims.push(await new StoreLocks(locks).claimWholeStore());
    return undefined;
  } catch (error) {
    const plain = plainFailure(error);
    if (plain?.exitCode !== 75) throw error;
    const why =
      error instanceof StoreInUse
        ? `is in use by ${error.holder}; retry once it has finished`
        : `cannot be held now: ${lowerFirst(plain.line)}`;
    process.stderr.write(`engram migrate-storage: ${side} ${why}\n`);
    return 75; // EX_TEMPFAIL
  }
}

/** Copies every page with progress, then compares both sides; the exit code. */
async function copyAndVerify(
  source: MigrationSide,
  target: MigrationSide,
  { from, to, model }: { from: Location; to: Location; model: EmbeddingModel | undefined },
): Promise<number> {
  const before = await summarise(source);
  const printProgress = progressPrinter(process.stderr);
  await migrateStorage(source, target, before.memories, ({ copied, total }) =>
    printProgress({
      progress: total === 0 ? 100 : Math.floor((copied / total) * 100),
      stage: `copied ${copied.toLocaleString('en')} of ${total.toLocaleString('en')} ${nounFor(total, 'memory', 'memories')}`,
      state: copied === total ? 'completed' : 'active',
    }),
  );
  const after = await summarise(target);
  printSummary(from, to, model, before);
  const mismatches = differences(before, after);
  if (mismatches.length > 0) {
    process.stderr.write(
      `engram migrate-storage: the copy does not match the source:\n${mismatches.map((line) => `  ${line}\n`).join('')}`,
    );
    return 70; // EX_SOFTWARE
  }
  process.stdout.write('verified: counts and checksums match on both sides\n');
  return 0;
}

/**
 * The copy's exit code, or 75 after one line when a side turns busy part-way (a writer took the target
 * after it opened): the target may then hold part of the copy, which a second run would refuse.
 */
async function stoppedWhenBusy(to: Location, copy: () => Promise<number>): Promise<number> {
  try {
    return await copy();
  } catch (error) {
    const plain = plainFailure(error);
    if (plain?.exitCode !== 75) throw error;
    process.stderr.write(
      `engram migrate-storage: the copy into ${describe(to)} stopped part-way: ${lowerFirst(plain.line)}, ` +
        'into an empty target (this one may hold part of the copy)\n',
    );
    return 75; // EX_TEMPFAIL
  }
}

/**
 * Claims the target and looks into it before binding it to the source's model, so a refused target is left
 * as it was; answers the exit code when it is in use or holds anything.
 */
async function refuseUnlessEmpty(
  config: AppConfig,
  to: Location,
  memoryDir: string,
  claims: HeldLock[],
): Promise<number | undefined> {
  const probe = await open('--to', config, to, memoryDir, undefined);
  if (typeof probe === 'number') return probe;
  try {
    const inUse = await claim('--to', to, probe.stores.locks, claims);
    if (inUse !== undefined) return inUse;
    const held = await contentsOf(probe);
    if (held.length === 0) return undefined;
    process.stderr.write(
      `engram migrate-storage: the target ${describe(to)} is not empty: it holds ${held.join(', ')}; ` +
        'migrate into an empty database\n',
    );
    return 65; // EX_DATAERR
  } finally {
    await probe.stores.close();
  }
}

/** Opens one side, or answers the exit code after one clear line (never a stack trace). */
async function open(
  flag: string,
  config: AppConfig,
  location: Location,
  memoryDir: string,
  model: EmbeddingModel | undefined,
): Promise<MigrationSide | number> {
  const limits = memoryLimitsWithEntries(config.memoryMaxEntries);
  try {
    if (location.kind === 'sqlite') {
      const stores = openSqliteStores({
        path: location.path,
        pragmas: config.storage.pragmas,
        encryptionKey: config.storage.encryptionKey,
        model,
      });
      return { stores, agentFiles: new FolderAgentFileStore(memoryDir, stores.fileJournal, limits) };
    }
    const stores = await openPostgresStores(
      {
        url: location.url,
        poolSize: 4,
        statementTimeoutMs: config.storage.postgres?.statementTimeoutMs ?? 60_000,
      },
      model,
    );
    return { stores, agentFiles: new PostgresAgentFileStore(stores.db, limits) };
  } catch (error) {
    const { line, exitCode } = openingFailure(`${describe(location)} (${flag})`, error);
    process.stderr.write(`engram migrate-storage: ${line}\n`);
    return exitCode;
  }
}

/**
 * Why a side did not open, on one line naming it, with the exit code: a side that is merely busy (held by
 * a restore or another writer) is 75 like every command's busy store, since the same run succeeds once it
 * is free; a server that does not answer 69; a refused login or a file that does not open with the key 78
 * (configuration, not worth retrying as is); another model's database 65; anything else 69.
 */
function openingFailure(side: string, error: unknown): PlainFailure {
  if (error instanceof EmbeddingModelMismatch) {
    return { line: `cannot open ${side}: ${firstLine(error)}`, exitCode: 65 };
  }
  if (error instanceof PostgresUnreachable) {
    return { line: `cannot reach ${side}: ${error.reason}; check the URL and that the server runs`, exitCode: 69 };
  }
  if (error instanceof PostgresLoginRefused) {
    return {
      line: `${side} refused the login: ${error.reason}; check the user, password and database in the URL`,
      exitCode: 78,
    };
  }
  const plain = plainFailure(error);
  if (plain?.exitCode === 75) return { line: `cannot open ${side} now: ${lowerFirst(plain.line)}`, exitCode: 75 };
  if (plain) return { line: `cannot open ${side}: ${plain.line}`, exitCode: plain.exitCode };
  return { line: `cannot open ${side}: ${firstLine(error)}`, exitCode: 69 }; // EX_UNAVAILABLE
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0];
}

function lowerFirst(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1);
}

function printSummary(from: Location, to: Location, model: EmbeddingModel | undefined, summary: StoreSummary): void {
  process.stdout.write(`migrated ${describe(from)} -> ${describe(to)}\n`);
  process.stdout.write(
    `embedding model: ${model ? `${model.modelId} (${model.dimension} dimensions)` : 'none bound'}\n`,
  );
  printTable(
    ['NAMESPACE', 'LIVE', 'DELETED', 'CHECKSUM'],
    Object.entries(summary.namespaces).map(([name, { live, deleted, checksum }]) => [
      name,
      String(live),
      String(deleted),
      checksum.slice(0, 16),
    ]),
  );
  process.stdout.write(
    `memories ${summary.memories}, vectors ${summary.vectors}, API keys ${summary.apiKeys}, ` +
      `OAuth clients ${summary.oauthClients}, agent files ${summary.agentFiles}\n` +
      'not copied: OAuth codes, tokens and pending consents; audit log; usage counts; conflict suggestions\n',
  );
}

function locate(argument: string): Location {
  return /^postgres(ql)?:\/\//i.test(argument)
    ? { kind: 'postgres', url: argument }
    : { kind: 'sqlite', path: argument };
}

/** A location for messages: a SQLite path made absolute, a URL without its credentials. */
function describe(location: Location): string {
  return location.kind === 'sqlite' ? resolve(location.path) : describePostgresUrl(location.url);
}
