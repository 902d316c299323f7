import { loadConfigOrReport } from '../config/config.loader';
import { CliCommand } from './cli-command';

const USAGE = `usage:
  engram mcp [--db <file>] [--embedding-provider …] [--env-file <file>]
      serve the MCP tools over stdio on the local database
  engram mcp --url <https://host/mcp> [--api-key <key>]
      bridge stdio to a remote Engram over Streamable HTTP
      (or MCP_MEMORY_HTTP_ENDPOINT and MCP_MEMORY_API_KEY in the environment)`;

export const mcpCommand: CliCommand = {
  summary: 'MCP over stdio on the local database, or a stdio bridge to a remote Engram (--url)',
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
    const { runMcpStdio } = await import('../mcp/mcp-stdio.js');
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
  const rest: string[] = [];
  let url = env.MCP_MEMORY_HTTP_ENDPOINT;
  let apiKey = env.MCP_MEMORY_API_KEY;
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split(/=(.*)/s, 2);
    if (flag !== '--url' && flag !== '--api-key') {
      rest.push(argv[i]);
      continue;
    }
    const value = inline ?? argv[++i];
    if (value === undefined) return { rest, problem: `${flag} needs a value` };
    if (flag === '--url') url = value;
    else apiKey = value;
  }
  if (url === undefined || url === '') {
    return apiKey && argv.some((arg) => arg.startsWith('--api-key'))
      ? { rest, problem: '--api-key needs --url' }
      : { rest };
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { rest, problem: `--url ${url} is not a URL; expected e.g. https://memory.example.com/mcp` };
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
    return { rest, problem: `--url ${url} must be http:// or https://` };
  }
  if (/\/api\/?$/.test(parsed.pathname)) parsed.pathname = parsed.pathname.replace(/\/api\/?$/, '/mcp');
  return { bridge: { url: parsed, apiKey: apiKey || undefined }, rest };
}
