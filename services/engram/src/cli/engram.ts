import 'reflect-metadata';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { wantsHelp } from './cli-args';
import { plainFailure } from '../process/plain-failure';
import { CLI_COMMANDS } from './cli-command';
import { actAsLocalOwnerOutsideRequests } from '../auth/request-context';

/**
 * `engram <command> [options]`: the one executable behind `npm start`, `npm run mcp` and the image.
 * Help and the version never load the configuration, so they work (exit 0) whatever the environment.
 */
async function main(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') return printHelp(0);
  if (name === '--version' || name === '-v') return print(process.stdout, version(), 0);
  const entry = Object.hasOwn(CLI_COMMANDS, name) ? CLI_COMMANDS[name] : undefined;
  if (!entry) {
    process.stderr.write(`engram: unknown command "${name}"\n`);
    return printHelp(64); // EX_USAGE
  }
  const command = await entry.load();
  if (!SERVICES.has(name)) {
    endQuietlyOnClosedPipe();
    actAsLocalOwnerOutsideRequests();
  }
  if (wantsHelp(rest)) return print(process.stdout, `${entry.summary}\n\n${command.usage}`, 0);
  return command.run(rest);
}

function printHelp(code: number): number {
  const lines = ['usage: engram <command> [options]     (engram <command> --help for its options)', '', 'commands:'];
  const width = Math.max(...Object.keys(CLI_COMMANDS).map((name) => name.length));
  for (const [name, { summary }] of Object.entries(CLI_COMMANDS)) lines.push(`  ${name.padEnd(width)} ${summary}`);
  lines.push('', 'options: --help, -h   this text;  --version, -v   the version');
  return print(code === 0 ? process.stdout : process.stderr, lines.join('\n'), code);
}

function print(stream: NodeJS.WriteStream, text: string, code: number): number {
  stream.write(`${text}\n`);
  return code;
}

/** The service package's version (dist/cli/engram.js → services/engram/package.json). */
function version(): string {
  return (JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string }).version;
}

/** Commands that serve until stopped: a closed stdout there is a failure for the supervisor to see. */
const SERVICES = new Set(['serve', 'worker']);
let closedPipeEndsQuietly = false;

/**
 * A reader that stops early (`engram export | head`) closes the pipe: stop quietly, as Unix tools do.
 * stderr too: with `2>&1 | head` both share the pipe, and whichever writes next meets the closed end.
 */
function endQuietlyOnClosedPipe(): void {
  closedPipeEndsQuietly = true;
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (error) => {
      if (isClosedPipe(error)) process.exit(0);
      throw error;
    });
  }
}

function isClosedPipe(error: unknown): boolean {
  return closedPipeEndsQuietly && (error as NodeJS.ErrnoException | null)?.code === 'EPIPE';
}

main(process.argv.slice(2)).then(
  // Long-running commands (serve, mcp, worker) resolve only once they have shut down; exiting
  // explicitly stops idle embedding workers and timers that would otherwise keep the process alive.
  (code) => process.exit(code),
  (error: Error) => {
    if (isClosedPipe(error)) process.exit(0);
    // A wrong database key (78), a server that does not answer (69), a busy store (75): one line.
    const plain = plainFailure(error);
    if (plain) {
      process.stderr.write(`engram: ${plain.line}\n`);
      process.exit(plain.exitCode);
    }
    process.stderr.write(`engram: ${error.stack ?? error.message}\n`);
    process.exit(1);
  },
);
