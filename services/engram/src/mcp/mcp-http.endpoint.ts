import type { IncomingMessage } from 'node:http';
import { BeforeApplicationShutdown, Inject, Injectable, Logger } from '@nestjs/common';
import type { toNodeHandler } from '@modelcontextprotocol/node';
import type { AuthInfo, McpHttpHandler } from '@modelcontextprotocol/server';
import { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { CredentialWatch } from '../auth/credential-watch';
import { currentContext } from '../auth/request-context';
import { routeAccess } from '../auth/route-access';
import { EMPTY_BODY_MESSAGE, sentEmptyJsonBody } from '../common/empty-json-body';
import { LARGE_BODY_ROUTE_CONFIG } from '../common/request-body-size';
import { APP_CONFIG, AppConfig } from '../config/config.types';
import { EngramMetrics } from '../metrics/engram-metrics';
import { RESOURCE_METADATA_PATH } from '../oauth/oauth.controller';
import { batchEraMismatch } from './mcp-batch-era';
import { McpCall, mcpCallOf } from './mcp-call';
import { credentialKey } from './mcp-caller';
import { McpCancellations } from './mcp-cancellations';
import { McpCatalog } from './mcp-catalog';
import { invalidParamsAnswer, invalidParamsOf } from './mcp-request-params';
import { listenedResourceUris, McpResourceFeed } from './mcp-resource-feed';
import { stepUpAuthInfo } from './mcp-scope';
import { mcpNodeSdk, mcpServerSdk } from './mcp-sdk';

export const MCP_PATH = '/mcp';

/**
 * Streamable HTTP at /mcp on the api port, behind the same credential hook as REST, for clients of both
 * protocol eras, each request served by a fresh server and nothing kept between requests: 2026-07-28
 * requests (per-request `_meta`) by the SDK's handler, statelessly by definition; 2025-era ones by a
 * stateless transport (no Mcp-Session-Id; GET and DELETE answer 405), which answers plain JSON unless the
 * request asked for progress (then an SSE stream carries it). Any api process can therefore answer any
 * request. What must outlive a request is either shared (cancellations of 2025-era calls, in the store) or
 * held by the request's own connection (a `subscriptions/listen` stream, capped per credential).
 */
@Injectable()
export class McpHttpEndpoint implements BeforeApplicationShutdown {
  private readonly logger = new Logger('Mcp');
  /** Made on the first MCP request, so a process no client speaks MCP to never loads the SDK. */
  private modern: { handler: McpHttpHandler; serve: ReturnType<typeof toNodeHandler> } | undefined;
  private readonly legacyServer: () => ReturnType<McpCatalog['createServer']>;
  private readonly openStreams = new Map<string, number>();
  private readonly streamsPerCredential: number;
  /** Named in the 403 scope challenge to OAuth tokens, as in the 401 (http/create-app.ts). */
  private readonly resourceMetadataUrl: string;

  constructor(
    private readonly catalog: McpCatalog,
    private readonly cancellations: McpCancellations,
    private readonly feed: McpResourceFeed,
    private readonly metrics: EngramMetrics,
    private readonly watch: CredentialWatch,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.streamsPerCredential = config.mcp.streamsPerCredential;
    this.resourceMetadataUrl = `${config.publicUrl}${RESOURCE_METADATA_PATH}`;
    this.legacyServer = () => catalog.createServer({ era: 'legacy', calls: cancellations });
  }

  private modernServing(): NonNullable<McpHttpEndpoint['modern']> {
    if (this.modern) return this.modern;
    const maxRequestBodySize = this.config.limits.maxBodyBytes;
    const handler = mcpServerSdk().createMcpHandler(() => this.catalog.createServer({ era: 'modern' }), {
      legacy: 'reject',
      bus: this.feed,
      maxRequestBodySize,
      // Reports refused requests (a header that disagrees with the body, an unsupported version): the
      // client gets the error; the log keeps a line for whoever debugs it.
      onerror: (error) => this.logger.debug({ msg: 'MCP request refused or failed', error: error.message }),
    });
    return (this.modern = { handler, serve: mcpNodeSdk().toNodeHandler(handler, { maxRequestBodySize }) });
  }

  register(fastify: FastifyInstance): void {
    // Any credential may talk MCP; each tool and resource checks the scope it needs (mcp-catalog.ts).
    fastify.route({
      method: ['GET', 'POST', 'DELETE'],
      url: MCP_PATH,
      // Tool calls carry memory content, batches and sessions.
      config: { ...routeAccess('credential'), ...LARGE_BODY_ROUTE_CONFIG },
      handler: (request, reply) => this.serve(request, reply),
    });
  }

  async beforeApplicationShutdown(): Promise<void> {
    // Open listen streams would otherwise hold the HTTP server's close until clients hang up.
    await this.modern?.handler.close();
  }

  private async serve(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    if (sentEmptyJsonBody(request)) {
      // As a body that is not JSON is answered (http/all-exceptions.filter.ts): a Parse error.
      const error = { code: -32700, message: EMPTY_BODY_MESSAGE };
      return void reply.code(400).send({ jsonrpc: '2.0', id: null, error });
    }
    const mismatch = batchEraMismatch(request.body, request.headers['mcp-protocol-version']);
    if (mismatch) return void reply.code(400).send({ jsonrpc: '2.0', id: null, error: mismatch });
    const call = mcpCallOf(request.body);
    if (call) this.metrics.mcpRequests.inc({ era: call.era });
    if (refusedParams(request.body, reply)) return;
    if (call?.era === 'legacy' && call.method === 'notifications/cancelled') return this.cancel(call, reply);
    if (call?.method === 'subscriptions/listen' && call.id !== undefined)
      return this.listen(call.id, call.params, request, reply);
    await this.handOver(request, reply);
  }

  /** 2025-era serving as the SDK's own classification decides it, so the two legs never disagree. */
  private async isLegacy(request: FastifyRequest): Promise<boolean> {
    if (request.method !== 'POST') return true;
    return mcpServerSdk().isLegacyRequest(await mcpNodeSdk().toWebRequest(request.raw, request.body), request.body);
  }

  private async serveLegacy(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    if (request.method !== 'POST') {
      // No sessions: nothing to stream on GET, nothing to end on DELETE.
      reply.raw.setHeader('allow', 'POST');
      return answerRaw(reply, 405, -32000, 'Method not allowed.');
    }
    const server = this.legacyServer();
    const transport = new (mcpNodeSdk().NodeStreamableHTTPServerTransport)({
      sessionIdGenerator: undefined,
      enableJsonResponse: !asksForProgress(request.body),
    });
    reply.raw.once('close', () => void server.close().catch(() => undefined));
    await server.connect(transport);
    await transport.handleRequest(request.raw, reply.raw, request.body);
  }

  /** 2025-era cancellation: the call it names may run in this process or another one. */
  private async cancel(call: McpCall, reply: FastifyReply): Promise<void> {
    const { requestId, reason } = call.params;
    if (typeof requestId === 'string' || typeof requestId === 'number') {
      await this.cancellations.cancel(requestId, typeof reason === 'string' ? reason.slice(0, 200) : undefined);
    }
    // A notification is acknowledged whatever it names: an unknown or finished call is not an error.
    void reply.code(202).send();
  }

  /**
   * A long-lived stream: one credential may hold only a few, so it cannot take the server's whole share. The
   * feed is told the resources it names, which it announces again where events were lost.
   */
  private async listen(
    id: string | number,
    params: McpCall['params'],
    request: FastifyRequest,
    reply: FastifyReply,
  ): Promise<void> {
    const caller = credentialKey();
    const open = this.openStreams.get(caller) ?? 0;
    if (open >= this.streamsPerCredential) {
      const message =
        `This credential already holds ${open} subscriptions/listen streams, the most allowed ` +
        '(ENGRAM_MCP_STREAMS_PER_CREDENTIAL); close one first';
      return void reply.code(200).send({ jsonrpc: '2.0', id, error: { code: -32603, message } });
    }
    this.countStream(caller, +1);
    reply.raw.once('close', () => this.countStream(caller, -1));
    // The SDK writes the stream: a refused credential's stream is cut, and the client's reconnect gets 401.
    this.watch.watch(reply.raw, () => reply.raw.destroy());
    await this.feed.whileOpening(listenedResourceUris(params), () => this.handOver(request, reply));
  }

  private countStream(caller: string, change: number): void {
    const open = (this.openStreams.get(caller) ?? 0) + change;
    if (open > 0) this.openStreams.set(caller, open);
    else this.openStreams.delete(caller);
    this.metrics.mcpListenStreams.inc(change);
  }

  /** The SDK writes the response itself: keep the headers set so far (CORS, X-Request-Id) and step aside. */
  private async handOver(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    for (const [name, value] of Object.entries(reply.getHeaders())) {
      if (value !== undefined) reply.raw.setHeader(name, value);
    }
    reply.raw.setHeader('X-Request-Id', request.id);
    // An OAuth token lacking a tool's scope is answered 403 insufficient_scope by the SDK (mcp-scope.ts).
    const raw = request.raw as IncomingMessage & { auth?: AuthInfo };
    raw.auth = stepUpAuthInfo(currentContext().principal, this.resourceMetadataUrl);
    reply.hijack();
    // From here on fastify no longer answers for this request: every failure is answered here.
    let legacy: boolean;
    try {
      legacy = await this.isLegacy(request);
    } catch (error) {
      // The request does not make a web request (a Host header that makes no URL): the client's mistake.
      return answerRaw(reply, 400, -32600, `Invalid request: ${(error as Error).message}`);
    }
    try {
      if (legacy) await this.serveLegacy(request, reply);
      else await this.modernServing().serve(request.raw, reply.raw, request.body);
    } catch (error) {
      this.logger.error({ msg: 'MCP request failed', error: (error as Error).stack ?? String(error) });
      if (!reply.raw.headersSent) answerRaw(reply, 500, -32603, 'Internal error; the cause is in the server log');
      else reply.raw.destroy();
    }
  }
}

/** A JSON-RPC error written straight to the socket of a hijacked reply. */
function answerRaw(reply: FastifyReply, status: number, code: number, message: string): void {
  reply.raw.writeHead(status, { 'content-type': 'application/json' });
  reply.raw.end(JSON.stringify({ jsonrpc: '2.0', error: { code, message }, id: null }));
}

/**
 * A request whose params its method cannot take (invalidParamsOf) is answered here, before the SDK would
 * call it an Internal error: alone, as Invalid params; in a batch, the batch as an Invalid Request, as the
 * SDK refuses a batch holding any message it cannot take.
 */
function refusedParams(body: unknown, reply: FastifyReply): boolean {
  if (!Array.isArray(body)) {
    const problem = invalidParamsOf(body);
    if (problem) void reply.code(200).send(invalidParamsAnswer(body, problem));
    return problem !== undefined;
  }
  const index = body.findIndex((message) => invalidParamsOf(message) !== undefined);
  if (index < 0) return false;
  const message = `Invalid Request: message ${index + 1} of the batch: ${invalidParamsOf(body[index])}`;
  void reply.code(400).send({ jsonrpc: '2.0', id: null, error: { code: -32600, message } });
  return true;
}

/** A progress token in the posted message (or any of a batch): that exchange must stream. */
function asksForProgress(body: unknown): boolean {
  return [body].flat().some((message) => {
    const meta = mcpCallOf(message)?.params._meta;
    return typeof meta === 'object' && meta !== null && 'progressToken' in meta;
  });
}
