import 'reflect-metadata';
import { ConfigError } from '../config/config.loader';
import { CLI_COMMANDS } from './cli-command';

/** `engram [command] [options]`: the one executable behind `npm start`, `npm run mcp` and the image. */
async function main(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name.startsWith('-')) return (await CLI_COMMANDS.serve()).run(argv);
  if (name === 'help' || name === '--help') return printHelp(0);
  const load = CLI_COMMANDS[name];
  if (!load) {
    process.stderr.write(`engram: unknown command "${name}"\n`);
    return printHelp(64); // EX_USAGE
  }
  return (await load()).run(rest);
}

async function printHelp(code: number): Promise<number> {
  const lines = ['usage: engram [command] [options]', '', 'commands:'];
  for (const [name, load] of Object.entries(CLI_COMMANDS)) lines.push(`  ${name.padEnd(10)} ${(await load()).summary}`);
  (code === 0 ? process.stdout : process.stderr).write(`${lines.join('\n')}\n`);
  return code;
}

main(process.argv.slice(2)).then(
  // Long-running commands (serve, mcp, worker) resolve only once they have shut down; exiting
  // explicitly stops idle embedding workers and timers that would otherwise keep the process alive.
  (code) => process.exit(code),
  (error: Error) => {
    // Configuration found wrong only when the database opens (its key): one clear line, exit 78.
    if (error instanceof ConfigError) {
      process.stderr.write(`engram: ${error.message}\n`);
      process.exit(78);
    }
    process.stderr.write(`engram: ${error.stack ?? error.message}\n`);
    process.exit(1);
  },
);
