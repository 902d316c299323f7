import { StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import type { JSONRPCMessage, JSONRPCRequest } from '@modelcontextprotocol/server';
import { isJSONRPCErrorResponse, isJSONRPCRequest, isJSONRPCResultResponse } from '@modelcontextprotocol/server';
import { AnsweringStdioTransport } from './answering-stdio.transport';
import { mcpCallOf } from './mcp-call';

export interface BridgeOptions {
  url: URL;
  apiKey?: string;
  log: (message: string) => void;
}

type RequestId = string | number;

/**
 * `engram mcp --url …`: relays every JSON-RPC message between a stdio client (Claude Desktop, VS Code)
 * and a remote Engram over Streamable HTTP, unchanged, so the remote's whole catalog comes through to
 * clients of either protocol era. The HTTP side follows the era of each message: a 2026-07-28 request
 * carries its headers (derived from its `_meta` by the SDK transport) and is cancelled by closing its
 * response stream; a 2025-era client's protocol version comes from its `initialize` answer and its
 * cancellations are relayed. When the remote cannot be reached, each request gets a JSON-RPC error
 * naming the URL instead of hanging; on end of input every request still running is answered first.
 */
export async function runMcpBridge({ url, apiKey, log }: BridgeOptions): Promise<number> {
  const local = new AnsweringStdioTransport();
  const remote = new StreamableHTTPClientTransport(url, {
    requestInit: apiKey ? { headers: { Authorization: `Bearer ${apiKey}` } } : undefined,
  });
  const initializeIds = new Set<RequestId>();
  /** 2026-07-28 requests in flight, each cancellable by aborting its own HTTP exchange. */
  const modernRequests = new Map<RequestId, AbortController>();

  remote.onmessage = (message) => {
    if ((isJSONRPCResultResponse(message) || isJSONRPCErrorResponse(message)) && message.id !== undefined) {
      modernRequests.delete(message.id);
      // The HTTP transport sends the negotiated protocol version on every later request (a spec rule).
      if (isJSONRPCResultResponse(message) && initializeIds.delete(message.id)) {
        const version = (message.result as { protocolVersion?: string }).protocolVersion;
        if (version) remote.setProtocolVersion(version);
      }
    }
    void local.send(message);
  };
  remote.onerror = (error) => {
    // A refused key is told once, in the bridge user's terms, when its request is answered (remoteProblem);
    // the SDK's own line would first quote the remote's advice to send an Authorization header.
    if (!isUnauthorized(error)) log(`remote ${url.origin}: ${error.message}`);
  };

  const unreachable = (request: JSONRPCRequest) => (error: Error) => {
    modernRequests.delete(request.id);
    const problem = remoteProblem(url, error, apiKey !== undefined);
    log(problem);
    void local.send({ jsonrpc: '2.0', id: request.id, error: { code: -32000, message: problem } });
  };

  local.onmessage = (message: JSONRPCMessage) => {
    if (isJSONRPCRequest(message)) return relayRequest(message);
    const call = mcpCallOf(message);
    const requestId = (call?.params as { requestId?: RequestId } | undefined)?.requestId;
    const cancelled = call?.method === 'notifications/cancelled' && requestId !== undefined;
    if (cancelled && modernRequests.has(requestId)) {
      // On 2026-07-28 Streamable HTTP, closing the request's stream is the cancellation.
      modernRequests.get(requestId)!.abort();
      modernRequests.delete(requestId);
      return;
    }
    remote.send(message).catch((error: Error) => log(remoteProblem(url, error, apiKey !== undefined)));
  };

  function relayRequest(request: JSONRPCRequest): void {
    if (request.method === 'initialize') initializeIds.add(request.id);
    if (mcpCallOf(request)?.era !== 'modern') {
      remote.send(request).catch(unreachable(request));
      return;
    }
    const controller = new AbortController();
    modernRequests.set(request.id, controller);
    remote.send(request, { requestSignal: controller.signal }).catch(unreachable(request));
  }

  await remote.start();
  await local.start();
  log(`bridging stdio to ${url.href}`);
  const signalled = new Promise<void>((resolve) => {
    process.once('SIGTERM', resolve);
    process.once('SIGINT', resolve);
  });
  await Promise.race([local.closed, signalled]);
  await remote.terminateSession().catch(() => undefined);
  await remote.close().catch(() => undefined);
  await local.close().catch(() => undefined);
  return 0;
}

/**
 * Why a request to the remote failed, in the bridge user's terms. A refused key is theirs to set in the
 * client's configuration: the remote's own answer speaks of request headers, which the bridge sends.
 */
function remoteProblem(url: URL, error: Error, keyGiven: boolean): string {
  if (!isUnauthorized(error)) {
    return `Engram at ${url.href} is unreachable or refused the request: ${error.message}`;
  }
  return keyGiven
    ? `Engram at ${url.href} refused the API key (HTTP 401): set MCP_MEMORY_API_KEY (or --api-key) to a key it accepts`
    : `Engram at ${url.href} needs an API key (HTTP 401): set MCP_MEMORY_API_KEY (or --api-key) in the client's configuration`;
}

/** The remote answered HTTP 401: the key is missing or not one it accepts. */
function isUnauthorized(error: Error): boolean {
  return (error as { status?: unknown }).status === 401;
}
