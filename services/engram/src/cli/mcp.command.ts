import { storeIsNew, storeLocation, unusableStorePath } from '../storage/store-location';
import { loadConfigOrReport } from '../config/config.loader';
import { ALL_CONFIG, parseCommandArgs } from './cli-args';
import { CliCommand } from './cli-command';
import { configUsage } from './cli-output';

const USAGE = `usage:
  engram mcp [configuration flags]
      serve the MCP tools over stdio on the local database (--host and --port: the api's address its links name)
  engram mcp --url <https://host/mcp> [--api-key <key>]
      bridge stdio to a remote Engram over Streamable HTTP, taking no configuration flag
      (or MCP_MEMORY_HTTP_ENDPOINT and MCP_MEMORY_API_KEY in the environment)
  stdout carries only JSON-RPC; messages go to stderr
  ${configUsage(ALL_CONFIG)}`;

export const mcpCommand: CliCommand = {
  usage: USAGE,
  async run(argv) {
    const { bridge, rest, problem } = splitBridgeFlags(argv, process.env);
    if (problem) {
      process.stderr.write(`engram mcp: ${problem}\n${USAGE}\n`);
      return 64; // EX_USAGE
    }
    if (bridge) {
      const { runMcpBridge } = await import('../mcp/mcp-bridge.js');
      const log = (message: string) => process.stderr.write(`engram mcp: ${message}\n`);
      return runMcpBridge({ ...bridge, log });
    }
    const config = loadConfigOrReport(rest);
    if (!config) return 78; // EX_CONFIG
    const unusable = unusableStorePath(config.storage);
    if (unusable !== undefined) {
      process.stderr.write(`engram mcp: ${unusable} (MCP_MEMORY_SQLITE_PATH or --db)\n`);
      return 66; // EX_NOINPUT, as other commands answer a --db that names nothing
    }
    if (storeIsNew(config.storage)) {
      process.stderr.write(
        `engram mcp: no database at ${storeLocation(config.storage)} yet: creating a new, empty one\n`,
      );
    }
    const { runMcpStdio } = await import('./mcp-stdio.js');
    return runMcpStdio(config);
  },
};

interface BridgeTarget {
  url: URL;
  apiKey?: string;
}

/**
 * Takes --url and --api-key (or the variables the MCP Memory Service guide's bridge used) out of the
 * arguments; the rest configure the local server. An `/api` endpoint from that guide means its `/mcp`.
 */
export function splitBridgeFlags(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): { bridge?: BridgeTarget; rest: string[]; problem?: string } {
  const args = parseCommandArgs(
    argv,
    { url: { type: 'string' }, 'api-key': { type: 'string' } },
    { config: ALL_CONFIG },
  );
  if ('problem' in args) return { rest: [], problem: args.problem };
  const rest = args.configArgv;
  if (args.positionals.length > 0) return { rest, problem: `unexpected "${args.positionals[0]}"` };
  const url = typeof args.flags.url === 'string' ? args.flags.url : env.MCP_MEMORY_HTTP_ENDPOINT;
  const apiKey = typeof args.flags['api-key'] === 'string' ? args.flags['api-key'] : env.MCP_MEMORY_API_KEY;
  if (url === undefined || url === '') {
    return args.flags['api-key'] !== undefined ? { rest, problem: '--api-key needs --url' } : { rest };
  }
  const source = typeof args.flags.url === 'string' ? '--url' : 'MCP_MEMORY_HTTP_ENDPOINT';
  if (rest.length > 0) {
    // A bridge opens no database and loads no model: a configuration flag would be silently ignored.
    return { rest, problem: `${rest[0].split('=')[0]} configures the local server, not a bridge (${source})` };
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { rest, problem: `${source}${shown(url)} is not a URL; expected e.g. https://memory.example.com/mcp` };
  }
  // Credentials in the URL would reach every log line and error that names the remote.
  if (parsed.username !== '' || parsed.password !== '') {
    return {
      rest,
      problem: `${source} must not hold a user name or password; give the key with --api-key or MCP_MEMORY_API_KEY`,
    };
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
    return { rest, problem: `${source}${shown(url)} must be http:// or https://` };
  }
  if (/\/api\/?$/.test(parsed.pathname)) parsed.pathname = parsed.pathname.replace(/\/api\/?$/, '/mcp');
  return { bridge: { url: parsed, apiKey: apiKey || undefined }, rest };
}

/** The URL as given, for a message, unless it may hold credentials (an `@` anywhere, as typed). */
function shown(url: string): string {
  return url.includes('@') ? '' : ` ${url}`;
}
