/** One `engram <name>` subcommand; `run` resolves to the process exit code. */
export interface CliCommand {
  /** Shown by `engram <name> --help` (exit 0, no configuration read) and after a usage error. */
  usage: string;
  run(argv: readonly string[]): Promise<number>;
}

/**
 * Every subcommand with its one-line summary (for `engram help`), loaded lazily so `engram mcp` does not
 * pay for the worker's imports (and help for none). Add a command with one line here and one
 * `<name>.command.ts` file (the `.js` suffix is what Node resolves at run time).
 */
export const CLI_COMMANDS: Record<string, { summary: string; load: () => Promise<CliCommand> }> = {
  serve: {
    summary: 'run the api: REST, MCP over HTTP, dashboard, docs, health and metrics (creates the database if new)',
    load: async () => (await import('./serve.command.js')).serveCommand,
  },
  api: { summary: 'the same as serve', load: async () => (await import('./serve.command.js')).serveCommand },
  worker: {
    summary: 'run the job worker (REDIS_URL): backups, restores, reindexing, imports, conflict scans, consolidation',
    load: async () => (await import('./worker.command.js')).workerCommand,
  },
  search: {
    summary: 'search the memories (hybrid by default) and print the best matches',
    load: async () => (await import('./memory.commands.js')).searchCommand,
  },
  list: {
    summary: 'list the memories, newest first, a page at a time',
    load: async () => (await import('./memory.commands.js')).listCommand,
  },
  store: { summary: 'store one memory', load: async () => (await import('./memory.commands.js')).storeCommand },
  get: {
    summary: 'print one memory by its hash, or the start of it as list and search print it',
    load: async () => (await import('./memory.commands.js')).getCommand,
  },
  delete: {
    summary: 'delete one memory by its hash (or its start) to the trash, or for good with --hard',
    load: async () => (await import('./memory.commands.js')).deleteCommand,
  },
  trash: {
    summary: 'list the deleted memories, show one, restore one, or purge one for good',
    load: async () => (await import('./trash.command.js')).trashCommand,
  },
  import: {
    summary: 'import an export or documents (ChatGPT, Claude, Notion, markdown, PDFs, MCP Memory Service, …)',
    load: async () => (await import('./import.command.js')).importCommand,
  },
  export: {
    summary: 'write the portable export of the memories (NDJSON, optionally with vectors) to stdout or a file',
    load: async () => (await import('./export.command.js')).exportCommand,
  },
  backup: {
    summary:
      'back up the database and memory directory now (verified, into MCP_MEMORY_BACKUPS_PATH), or delete a backup or what a crash left of one',
    load: async () => (await import('./backup.command.js')).backupCommand,
  },
  restore: {
    summary: 'restore a backup while the api keeps serving (the current state is kept as a backup first)',
    load: async () => (await import('./restore.command.js')).restoreCommand,
  },
  reindex: {
    summary: 're-embed every memory with the configured embedding model (resumable; search keeps working)',
    load: async () => (await import('./reindex.command.js')).reindexCommand,
  },
  mcp: {
    summary: 'MCP over stdio on the local database, or a stdio bridge to a remote Engram (--url)',
    load: async () => (await import('./mcp.command.js')).mcpCommand,
  },
  keys: {
    summary: 'create, list and revoke API keys (the secret is printed once, at creation)',
    load: async () => (await import('./keys.command.js')).keysCommand,
  },
  oauth: {
    summary: 'list OAuth connectors and revoke their access',
    load: async () => (await import('./oauth.command.js')).oauthCommand,
  },
  consolidate: {
    summary: 'propose merging near-duplicates and archiving unused memories (a dry run), or apply a reviewed set',
    load: async () => (await import('./consolidate.command.js')).consolidateCommand,
  },
  'migrate-storage': {
    summary: 'copy a store between SQLite and PostgreSQL (memories, vectors, keys, OAuth clients, agent files)',
    load: async () => (await import('./migrate-storage.command.js')).migrateStorageCommand,
  },
  health: {
    summary: 'check the api or worker running here (exit 0 healthy, 1 not): the container health check',
    load: async () => (await import('./health.command.js')).healthCommand,
  },
  audit: {
    summary: 'show the audit log: who created or revoked keys, approved connectors, restored, imported, …',
    load: async () => (await import('./audit.command.js')).auditCommand,
  },
  encrypt: {
    summary: 'encrypt a plaintext database in place with ENGRAM_DB_ENCRYPTION_KEY (stop Engram first)',
    load: async () => (await import('./encrypt.command.js')).encryptCommand,
  },
};
