import {
  Client as ModernClient,
  StreamableHTTPClientTransport as ModernHttpTransport,
} from '@modelcontextprotocol/client';
import { StdioClientTransport as ModernStdioTransport } from '@modelcontextprotocol/client/stdio';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { join } from 'node:path';

/**
 * The real clients Engram is tested with: the v1 SDK (2025-11-25, what most hosts ship today), the v2
 * client in its default legacy mode (the 2025 handshake) and the v2 client pinned to 2026-07-28.
 */
export const CLIENT_KINDS = ['sdk-v1', 'v2-legacy', 'v2-modern'] as const;
export type ClientKind = (typeof CLIENT_KINDS)[number];

export interface CallOptions {
  onprogress?: (progress: { progress: number; total?: number; message?: string }) => void;
  signal?: AbortSignal;
  timeout?: number;
}

/** What the tests use of either SDK's client. */
export interface McpTestClient {
  callTool(params: { name: string; arguments?: Record<string, unknown> }, ...rest: any[]): Promise<any>;
  listTools(): Promise<{ tools: any[] }>;
  listResources(): Promise<{ resources: any[] }>;
  listResourceTemplates(): Promise<{ resourceTemplates: any[] }>;
  readResource(params: { uri: string }): Promise<{ contents: any[] }>;
  close(): Promise<void>;
}

export interface ConnectedClient {
  kind: ClientKind;
  client: McpTestClient;
  /** The era the connection landed on. */
  era: 'legacy' | 'modern';
  /** Calls a tool with progress, cancellation or a timeout, whichever SDK the client is. */
  call(name: string, args?: Record<string, unknown>, options?: CallOptions): Promise<any>;
}

const INFO = { name: 'engram-tests', version: '1.0.0' };

type FetchLike = (url: string | URL, init?: RequestInit) => Promise<Response>;

/** A client of `kind` on Streamable HTTP to `<baseUrl>/mcp`, with the API key as a Bearer token. */
export function connectHttpClient(baseUrl: string, apiKey?: string, kind: ClientKind = 'sdk-v1', namespace?: string) {
  return connectHttp(baseUrl, { apiKey, kind, namespace });
}

/** The same, sending every HTTP request through `fetch` (which may route it to another process). */
export function connectHttpClientVia(baseUrl: string, apiKey: string, kind: ClientKind, fetch: FetchLike) {
  return connectHttp(baseUrl, { apiKey, kind, fetch });
}

async function connectHttp(
  baseUrl: string,
  options: { apiKey?: string; kind: ClientKind; namespace?: string; fetch?: FetchLike },
): Promise<ConnectedClient & { transport: { sessionId?: string } }> {
  const url = new URL('/mcp', baseUrl);
  const headers: Record<string, string> = {
    ...(options.apiKey && { Authorization: `Bearer ${options.apiKey}` }),
    ...(options.namespace && { 'X-Engram-Namespace': options.namespace }),
  };
  const transportOptions = { requestInit: { headers }, ...(options.fetch && { fetch: options.fetch }) };
  if (options.kind === 'sdk-v1') {
    const transport = new StreamableHTTPClientTransport(url, transportOptions);
    return { ...(await connectV1(transport)), transport };
  }
  const transport = new ModernHttpTransport(url, transportOptions);
  return { ...(await connectV2(options.kind, transport)), transport };
}

/** A client of `kind` that starts `command args` (in `cwd`, else this process's folder) and speaks stdio with it. */
export async function connectStdioClient(
  kind: ClientKind,
  params: { command: string; args: string[]; env: Record<string, string>; stderr?: 'pipe' | 'ignore'; cwd?: string },
): Promise<ConnectedClient> {
  const stdio = { stderr: 'pipe' as const, ...params };
  if (kind === 'sdk-v1') return connectV1(new StdioClientTransport(stdio));
  return connectV2(kind, new ModernStdioTransport(stdio));
}

/**
 * A 2026-07-28 client of a real `engram mcp` (this build's CLI) started in `cwd`, with this process's
 * environment and `env` (which names its store), logging errors only.
 */
export function connectEngramStdio(cwd: string, env: Record<string, string>): Promise<ConnectedClient> {
  return connectStdioClient('v2-modern', {
    command: process.execPath,
    args: [join(__dirname, '..', 'cli', 'engram.js'), 'mcp'],
    cwd,
    env: { ...(process.env as Record<string, string>), ...env, LOG_LEVEL: 'error' },
  });
}

async function connectV1(transport: StreamableHTTPClientTransport | StdioClientTransport): Promise<ConnectedClient> {
  const client = new Client(INFO);
  await client.connect(transport);
  return {
    kind: 'sdk-v1',
    client,
    era: 'legacy',
    call: (name, args = {}, options) => client.callTool({ name, arguments: args }, undefined, options),
  };
}

async function connectV2(
  kind: ClientKind,
  transport: ModernHttpTransport | ModernStdioTransport,
): Promise<ConnectedClient> {
  const client = new ModernClient(
    INFO,
    kind === 'v2-modern' ? { versionNegotiation: { mode: { pin: '2026-07-28' } } } : undefined,
  );
  await client.connect(transport);
  return {
    kind,
    client,
    era: client.getProtocolEra() ?? 'legacy',
    call: (name, args = {}, options) => client.callTool({ name, arguments: args }, options),
  };
}

/** Calls a tool and returns the result typed for assertions. */
export async function callTool(client: McpTestClient, name: string, args: Record<string, unknown> = {}) {
  const result = await client.callTool({ name, arguments: args });
  return { ...result, structured: result.structuredContent as any, text: textOf(result) };
}

export function textOf(result: { content: { type: string; text?: string }[] }): string {
  return result.content
    .filter((item) => item.type === 'text')
    .map((item) => item.text)
    .join('\n');
}

/** A change notification a listen subscription delivered: its method, and the URI of a resource update. */
export interface ChangeNote {
  method: string;
  uri?: string;
}

/** A 2026-07-28 client's open `subscriptions/listen` subscription and every change it has delivered, in order. */
export interface ResourceListener {
  notes: ChangeNote[];
  close(): Promise<void>;
}

/**
 * Opens a listen subscription on a v2-modern `connected` client for `filter` (the SDK's own `listen()`),
 * collecting the resource change notifications it delivers; close ends the subscription and the client.
 */
export async function listenForResourceChanges(
  connected: ConnectedClient,
  filter: { resourcesListChanged?: boolean; resourceSubscriptions?: string[] },
): Promise<ResourceListener> {
  const client = connected.client as ModernClient;
  const notes: ChangeNote[] = [];
  client.setNotificationHandler('notifications/resources/updated', ({ params }) => {
    notes.push({ method: 'notifications/resources/updated', uri: params.uri });
  });
  client.setNotificationHandler('notifications/resources/list_changed', () => {
    notes.push({ method: 'notifications/resources/list_changed' });
  });
  const subscription = await client.listen(filter);
  return {
    notes,
    async close() {
      await subscription.close();
      await client.close();
    },
  };
}
