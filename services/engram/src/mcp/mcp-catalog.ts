import { Inject, Injectable, Logger } from '@nestjs/common';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js';
import { CallToolResult, ServerNotification, ServerRequest } from '@modelcontextprotocol/sdk/types.js';
import { ZodError } from 'zod';
import { AgentService } from '../agent/agent.service';
import { ConflictService } from '../conflicts/conflict.service';
import { HarvestService } from '../harvest/harvest.service';
import { DomainError } from '../common/domain-errors';
import { isDatabaseBusy, toErrorResponse } from '../common/error-response';
import { ENGRAM_VERSION } from '../common/version';
import { APP_CONFIG, AppConfig } from '../config/config.types';
import { StatusReportService } from '../health/status-report.service';
import { MemoryService } from '../memories/memory.service';
import { SessionService } from '../memories/session.service';
import { EngramMetrics } from '../metrics/engram-metrics';
import { QualityService } from '../quality/quality.service';
import { SearchService } from '../search/search.service';
import { annotationsFor, McpJsonTextTool, McpTool, ToolCallContext } from './mcp-tool';
import { registerMemoryResources } from './mcp-resources';
import { requireScope } from './mcp-scope';
import { agentTools } from './tools/agent.tools';
import { conflictTools } from './tools/conflict.tools';
import { connectorTools } from './tools/connector.tools';
import { historyTools } from './tools/history.tools';
import { harvestTools } from './tools/harvest.tools';
import { legacyTools } from './tools/legacy.tools';
import { qualityTools } from './tools/quality.tools';
import { memoryTools } from './tools/memory.tools';
import { statusTools } from './tools/status.tools';
import { ToolDeps } from './tools/tool-deps';
import { traced } from '../tracing/spans';

const INSTRUCTIONS =
  'Engram is a long-term memory shared by your clients. Search it (memory_search) before answering questions ' +
  'about the user, their projects or past decisions; store durable facts, decisions and preferences with ' +
  'memory_store (short, self-contained, tagged). Use memory_delete with dry_run: true before deleting by filter.';

type Outcome = 'ok' | 'rejected' | 'error';

/**
 * The one MCP tool catalog, built on the same services as the REST API, and the factory of MCP servers
 * serving it: one server per Streamable HTTP session (or stateless request) and one for stdio.
 */
@Injectable()
export class McpCatalog {
  private readonly logger = new Logger('Mcp');
  readonly tools: McpTool[];
  readonly jsonTextTools: McpJsonTextTool[];
  private readonly deps: ToolDeps;
  private toolList: Promise<ToolList> | undefined;

  constructor(
    memories: MemoryService,
    search: SearchService,
    status: StatusReportService,
    private readonly metrics: EngramMetrics,
    @Inject(APP_CONFIG) config: AppConfig,
    agent: AgentService,
    quality: QualityService,
    conflicts: ConflictService,
    sessions: SessionService,
    harvest: HarvestService,
  ) {
    this.deps = { memories, sessions, search, quality, conflicts, harvest, status, config };
    this.tools = [
      ...memoryTools(this.deps),
      ...historyTools(this.deps),
      ...qualityTools(this.deps),
      ...conflictTools(this.deps),
      ...harvestTools(this.deps),
      ...statusTools(this.deps),
      ...agentTools(agent),
      ...legacyTools(this.deps),
    ];
    this.jsonTextTools = connectorTools(this.deps);
  }

  createServer(): McpServer {
    const server = new McpServer(
      { name: 'engram', title: 'Engram memory', version: ENGRAM_VERSION },
      { capabilities: { tools: {}, resources: {} }, instructions: INSTRUCTIONS },
    );
    for (const tool of this.tools) {
      server.registerTool(
        tool.name,
        {
          title: tool.title,
          description: tool.description,
          inputSchema: tool.input,
          outputSchema: tool.output,
          annotations: annotationsFor(tool),
        },
        (args: unknown, extra: RequestExtra) =>
          this.observe(tool.name, async () => {
            requireScope(tool.name, tool.effect === 'read' ? 'read' : 'write');
            const answer = await tool.run(args as never, callContext(extra));
            return { content: [{ type: 'text', text: answer.text }], structuredContent: answer.structured };
          }),
      );
    }
    for (const tool of this.jsonTextTools) {
      server.registerTool(
        tool.name,
        {
          title: tool.title,
          description: tool.description,
          inputSchema: tool.input,
          annotations: annotationsFor({ title: tool.title, effect: 'read', idempotent: true }),
        },
        (args: unknown) =>
          this.observe(tool.name, async () => {
            requireScope(tool.name, 'read');
            const document = await tool.run(args as never);
            return { content: [{ type: 'text', text: JSON.stringify(document) }] };
          }),
      );
    }
    this.serveToolListOnce(server);
    registerMemoryResources(server, this.deps);
    return server;
  }

  /**
   * The SDK rebuilds every JSON schema on each tools/list (about 100 ms for this catalog); the list is
   * the same for every server, so the first answer is kept. Unlisted legacy tools are filtered here:
   * the SDK has no option to keep a tool callable but unlisted. Its list handler is wrapped in place
   * (private API, covered by the catalog tests, which would catch an SDK change).
   */
  private serveToolListOnce(server: McpServer): void {
    const hidden = new Set(
      this.deps.config.mcp.legacyTools === 'unlisted'
        ? this.tools.filter((tool) => tool.legacy).map((t) => t.name)
        : [],
    );
    const handlers = (server.server as unknown as { _requestHandlers: Map<string, RequestHandler> })._requestHandlers;
    const list = handlers.get('tools/list');
    if (!list) throw new Error('MCP SDK changed: no tools/list handler to wrap');
    handlers.set('tools/list', async (request, extra) => {
      this.toolList ??= list(request, extra).then((result) => ({
        ...result,
        tools: result.tools.filter((tool) => !hidden.has(tool.name)),
      }));
      return this.toolList;
    });
  }

  /** Runs one tool call: refusals become `isError` results naming the problem, never a crash. */
  private async observe(tool: string, call: () => Promise<CallToolResult>): Promise<CallToolResult> {
    const stopTimer = this.metrics.mcpToolDuration.startTimer({ tool });
    let outcome: Outcome = 'ok';
    try {
      return await traced(`mcp.tool ${tool}`, { 'mcp.tool.name': tool }, call);
    } catch (error) {
      const refused = error instanceof DomainError || error instanceof ZodError || isDatabaseBusy(error);
      if (isDatabaseBusy(error)) this.metrics.databaseBusy.inc({ surface: 'mcp' });
      outcome = refused ? 'rejected' : 'error';
      return { isError: true, content: [{ type: 'text', text: this.describe(tool, error, outcome) }] };
    } finally {
      stopTimer();
      this.metrics.mcpToolCalls.inc({ tool, outcome });
    }
  }

  private describe(tool: string, error: unknown, outcome: Outcome): string {
    if (error instanceof ZodError) {
      return error.issues.map((issue) => `${issue.path.join('.') || 'arguments'}: ${issue.message}`).join('; ');
    }
    if (isDatabaseBusy(error)) return toErrorResponse(error).body.message;
    if (outcome === 'rejected') return (error as Error).message;
    this.logger.error({ msg: 'MCP tool failed', tool, error: (error as Error).stack ?? String(error) });
    return `${tool} failed on the server; the error is in the server log`;
  }
}

type RequestExtra = RequestHandlerExtra<ServerRequest, ServerNotification>;

function callContext(extra: RequestExtra): ToolCallContext {
  const progressToken = extra._meta?.progressToken;
  return {
    signal: extra.signal,
    async reportProgress(progress, total, message) {
      if (progressToken === undefined) return;
      await extra.sendNotification({
        method: 'notifications/progress',
        params: { progressToken, progress, total, message },
      });
    },
  };
}

type ToolList = { tools: { name: string }[] };
type RequestHandler = (request: unknown, extra: unknown) => Promise<ToolList>;
