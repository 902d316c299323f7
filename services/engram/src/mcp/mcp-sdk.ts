import type * as McpNodeSdk from '@modelcontextprotocol/node';
import type * as McpServerSdk from '@modelcontextprotocol/server';

let serverSdk: typeof McpServerSdk | undefined;
let nodeSdk: typeof McpNodeSdk | undefined;

/*
 * The MCP SDK's server and Node adapter, loaded on first use (~150 ms of requiring at start-up otherwise,
 * paid by every process whether or not a client ever speaks MCP to it). Required rather than imported so
 * that the catalog's server factory stays synchronous, as the SDK's handler calls it.
 */

export function mcpServerSdk(): typeof McpServerSdk {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (serverSdk ??= require('@modelcontextprotocol/server') as typeof McpServerSdk);
}

export function mcpNodeSdk(): typeof McpNodeSdk {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (nodeSdk ??= require('@modelcontextprotocol/node') as typeof McpNodeSdk);
}
