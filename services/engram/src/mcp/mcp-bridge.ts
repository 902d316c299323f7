import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { JSONRPCMessage, isJSONRPCRequest, isJSONRPCResultResponse } from '@modelcontextprotocol/sdk/types.js';

export interface BridgeOptions {
  url: URL;
  apiKey?: string;
  log: (message: string) => void;
}

/**
 * `engram mcp --url …`: relays every JSON-RPC message between a stdio client (Claude Desktop, VS Code)
 * and a remote Engram over Streamable HTTP, unchanged, so the remote's whole catalog and session
 * behaviour come through. When the remote cannot be reached, each request gets a JSON-RPC error naming
 * the URL instead of hanging.
 */
export async function runMcpBridge({ url, apiKey, log }: BridgeOptions): Promise<number> {
  const local = new StdioServerTransport();
  const remote = new StreamableHTTPClientTransport(url, {
    requestInit: apiKey ? { headers: { Authorization: `Bearer ${apiKey}` } } : undefined,
  });
  const initializeIds = new Set<string | number>();

  remote.onmessage = (message) => {
    // The HTTP transport sends the negotiated protocol version on every later request (a spec rule).
    if (isJSONRPCResultResponse(message) && initializeIds.delete(message.id)) {
      const version = (message.result as { protocolVersion?: string }).protocolVersion;
      if (version) remote.setProtocolVersion(version);
    }
    void local.send(message);
  };
  remote.onerror = (error) => log(`remote ${url.origin}: ${error.message}`);

  local.onmessage = (message: JSONRPCMessage) => {
    if (isJSONRPCRequest(message) && message.method === 'initialize') initializeIds.add(message.id);
    remote.send(message).catch((error: Error) => {
      log(`cannot reach ${url.href}: ${error.message}`);
      if (isJSONRPCRequest(message)) {
        void local.send({
          jsonrpc: '2.0',
          id: message.id,
          error: {
            code: -32000,
            message: `Engram at ${url.href} is unreachable or refused the request: ${error.message}`,
          },
        });
      }
    });
  };

  const closed = new Promise<void>((resolve) => {
    local.onclose = resolve;
    process.stdin.once('end', resolve);
    process.once('SIGTERM', resolve);
    process.once('SIGINT', resolve);
  });
  await remote.start();
  await local.start();
  log(`bridging stdio to ${url.href}`);
  await closed;
  await remote.terminateSession().catch(() => undefined);
  await remote.close().catch(() => undefined);
  return 0;
}
