import { randomUUID } from 'node:crypto';
import { BeforeApplicationShutdown, Inject, Injectable } from '@nestjs/common';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { currentContext } from '../auth/request-context';
import { routeAccess } from '../auth/route-access';
import { APP_CONFIG, AppConfig } from '../config/config.types';
import { EngramMetrics } from '../metrics/engram-metrics';
import { McpCatalog } from './mcp-catalog';
import { McpSessions } from './mcp-sessions';

export const MCP_PATH = '/mcp';

/**
 * Streamable HTTP at /mcp on the api port, behind the same API-key hook as REST. An initialize request
 * opens a session (Mcp-Session-Id; GET streams, DELETE ends it); any other request without a session
 * id is served statelessly by a fresh server, which is what simple clients and load balancers expect.
 */
@Injectable()
export class McpHttpEndpoint implements BeforeApplicationShutdown {
  private readonly sessions: McpSessions;

  constructor(
    private readonly catalog: McpCatalog,
    metrics: EngramMetrics,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.sessions = new McpSessions(
      { maxSessions: config.mcp.maxSessions, idleMs: config.mcp.sessionIdleSeconds * 1000 },
      (open) => metrics.mcpSessions.set(open),
    );
  }

  register(fastify: FastifyInstance): void {
    // Any credential may talk MCP; each tool and resource checks the scope it needs (mcp-catalog.ts).
    const config = routeAccess('credential');
    fastify.post(MCP_PATH, { config }, (request, reply) => this.post(request, reply));
    fastify.get(MCP_PATH, { config }, (request, reply) => this.withSession(request, reply));
    fastify.delete(MCP_PATH, { config }, (request, reply) => this.withSession(request, reply));
  }

  async beforeApplicationShutdown(): Promise<void> {
    // Open GET streams would otherwise hold the HTTP server's close until clients hang up.
    await this.sessions.closeAll();
  }

  private async post(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const sessionId = sessionIdOf(request);
    if (sessionId !== undefined) return this.withSession(request, reply);
    if (isInitializeRequest(request.body)) return this.openSession(request, reply);
    return this.serveStateless(request, reply);
  }

  private async openSession(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const server = this.catalog.createServer();
    // Session requests answer as an SSE stream, so progress notifications of long tools (the memory
    // agent) reach the client before the result; stateless requests keep plain JSON answers.
    const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (id) => this.sessions.add(id, ownerOf(), transport, server),
    });
    transport.onclose = () => {
      if (transport.sessionId) this.sessions.remove(transport.sessionId);
    };
    await server.connect(transport);
    await handOver(request, reply, transport);
  }

  private async serveStateless(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const server = this.catalog.createServer();
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    reply.raw.once('close', () => void server.close().catch(() => undefined));
    await server.connect(transport);
    await handOver(request, reply, transport);
  }

  private async withSession(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const sessionId = sessionIdOf(request);
    if (sessionId === undefined) {
      const message =
        request.method === 'POST' ? 'Bad request' : `${request.method} ${MCP_PATH} needs an Mcp-Session-Id header`;
      return void reply
        .code(request.method === 'GET' ? 405 : 400)
        .header('Allow', 'POST')
        .send(jsonRpcError(message));
    }
    const session = this.sessions.touch(sessionId, ownerOf());
    // 404 tells a client its session is gone (expired or ended) and that it should initialize again.
    if (!session) return void reply.code(404).send(jsonRpcError(`Session not found: ${sessionId.slice(0, 64)}`));
    await handOver(request, reply, session.transport);
  }
}

/** Sessions belong to the credential that opened them (and the namespace it chose). */
function ownerOf(): string {
  const { principal, namespace } = currentContext();
  return `${principal.kind}:${principal.id}:${namespace}`;
}

function sessionIdOf(request: FastifyRequest): string | undefined {
  const value = request.headers['mcp-session-id'];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function jsonRpcError(message: string) {
  return { jsonrpc: '2.0', error: { code: -32000, message }, id: null };
}

/** The SDK writes the response itself: keep the headers set so far (CORS, X-Request-Id) and step aside. */
async function handOver(
  request: FastifyRequest,
  reply: FastifyReply,
  transport: StreamableHTTPServerTransport,
): Promise<void> {
  for (const [name, value] of Object.entries(reply.getHeaders())) {
    if (value !== undefined) reply.raw.setHeader(name, value);
  }
  reply.raw.setHeader('X-Request-Id', request.id);
  reply.hijack();
  await transport.handleRequest(request.raw, reply.raw, request.body);
}
