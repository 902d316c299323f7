/** One `engram <name>` subcommand; `run` resolves to the process exit code. */
export interface CliCommand {
  /** One line shown by `engram help`. */
  summary: string;
  run(argv: readonly string[]): Promise<number>;
}

/**
 * Every subcommand, loaded lazily so `engram mcp` does not pay for the worker's imports (and the
 * reverse). Add a command by adding one line here and one `<name>.command.ts` file (the `.js` suffix is what Node resolves at run time).
 */
export const CLI_COMMANDS: Record<string, () => Promise<CliCommand>> = {
  serve: async () => (await import('./serve.command.js')).serveCommand,
  api: async () => ({ ...(await import('./serve.command.js')).serveCommand, summary: 'the same as serve' }),
  worker: async () => (await import('./worker.command.js')).workerCommand,
  backup: async () => (await import('./backup.command.js')).backupCommand,
  restore: async () => (await import('./restore.command.js')).restoreCommand,
  reindex: async () => (await import('./reindex.command.js')).reindexCommand,
  mcp: async () => (await import('./mcp.command.js')).mcpCommand,
  keys: async () => (await import('./keys.command.js')).keysCommand,
  import: async () => (await import('./import.command.js')).importCommand,
  oauth: async () => (await import('./oauth.command.js')).oauthCommand,
  encrypt: async () => (await import('./encrypt.command.js')).encryptCommand,
};
