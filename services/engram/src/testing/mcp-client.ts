import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { CallToolResult } from '@modelcontextprotocol/sdk/types.js';

/** The official SDK client on Streamable HTTP to `<baseUrl>/mcp`, with the API key as a Bearer token. */
export async function connectHttpClient(
  baseUrl: string,
  apiKey?: string,
): Promise<{ client: Client; transport: StreamableHTTPClientTransport }> {
  const transport = new StreamableHTTPClientTransport(new URL('/mcp', baseUrl), {
    requestInit: apiKey ? { headers: { Authorization: `Bearer ${apiKey}` } } : undefined,
  });
  const client = new Client({ name: 'engram-tests', version: '1.0.0' });
  await client.connect(transport);
  return { client, transport };
}

/** Calls a tool and returns the result typed for assertions. */
export async function callTool(client: Client, name: string, args: Record<string, unknown> = {}) {
  const result = (await client.callTool({ name, arguments: args })) as CallToolResult;
  return { ...result, structured: result.structuredContent as any, text: textOf(result) };
}

export function textOf(result: CallToolResult): string {
  return result.content
    .filter((item) => item.type === 'text')
    .map((item) => (item as { text: string }).text)
    .join('\n');
}
