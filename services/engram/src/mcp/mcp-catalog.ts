import { Inject, Injectable, Logger } from '@nestjs/common';
import type {
  CallToolResult,
  McpServer,
  ServerContext,
  StandardSchemaWithJSON,
  Tool,
} from '@modelcontextprotocol/server';
import { ZodError } from 'zod';
import { AgentService } from '../agent/agent.service';
import { ConflictService } from '../conflicts/conflict.service';
import { ConsolidationService } from '../consolidation/consolidation.service';
import { ExactDuplicates } from '../consolidation/exact-duplicates';
import { HarvestService } from '../harvest/harvest.service';
import { Scope } from '../auth/scopes';
import { DomainError, InvalidInput } from '../common/domain-errors';
import { jsonShapeProblem } from '../common/json-shape';
import { describeIssues } from '../common/zod-validation.pipe';
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
import { mcpServerSdk } from './mcp-sdk';
import { portableSchema } from './portable-schema';
import { requireScope, scopeChallenge } from './mcp-scope';
import { agentTools } from './tools/agent.tools';
import { conflictTools } from './tools/conflict.tools';
import { consolidationTools } from './tools/consolidation.tools';
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

type Outcome = 'ok' | 'rejected' | 'cancelled' | 'error';

/** The protocol era a server instance speaks: 2025-11-25 and earlier (`legacy`) or 2026-07-28 (`modern`). */
export type McpEra = 'legacy' | 'modern';

/**
 * Where a transport learns of a running tool call, so a cancellation that reaches another request (a
 * 2025-era `notifications/cancelled` POST, possibly to another process) can stop it.
 */
export interface CallTracker {
  /** Returns the signal the call should obey (the SDK's, plus outside cancellation) and its release. */
  track(requestId: string | number, signal: AbortSignal): { signal: AbortSignal; release(): void };
}

export interface ServerOptions {
  era: McpEra;
  calls?: CallTracker;
}

/** One tool as the SDK is given it: schemas wrapped once per process (see portable-schema.ts). */
interface CatalogEntry {
  name: string;
  /** What the credential must hold to call it: checked as a step-up challenge, then by the call itself. */
  scope: Scope;
  config: { title: string; description: string; annotations: ReturnType<typeof annotationsFor> };
  input: StandardSchemaWithJSON;
  output?: StandardSchemaWithJSON;
  call(args: unknown, call: ToolCallContext): Promise<CallToolResult>;
}

/**
 * The one MCP tool catalog, built on the same services as the REST API, and the factory of MCP servers
 * serving it: one server per HTTP request (both eras are served per request) and one per stdio connection.
 */
@Injectable()
export class McpCatalog {
  private readonly logger = new Logger('Mcp');
  private readonly deps: ToolDeps;
  private readonly entries: CatalogEntry[];
  /** tools/list is the same for every server and every era: computed once. */
  private readonly listed: Tool[];

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
    consolidation: ConsolidationService,
    duplicates: ExactDuplicates,
  ) {
    this.deps = { memories, sessions, search, quality, conflicts, consolidation, duplicates, harvest, status, config };
    const tools = [
      ...memoryTools(this.deps),
      ...historyTools(this.deps),
      ...qualityTools(this.deps),
      ...conflictTools(this.deps),
      ...consolidationTools(this.deps),
      ...harvestTools(this.deps),
      ...statusTools(this.deps),
      ...agentTools(agent),
      ...legacyTools(this.deps),
    ];
    this.entries = [...tools.map(structuredEntry), ...connectorTools(this.deps).map(jsonTextEntry)];
    const hidden = new Set(
      config.mcp.legacyTools === 'unlisted' ? tools.filter((t) => t.legacy).map((t) => t.name) : [],
    );
    this.listed = this.entries.filter((entry) => !hidden.has(entry.name)).map(listedTool);
  }

  createServer({ era, calls }: ServerOptions): McpServer {
    const server = new (mcpServerSdk().McpServer)(
      { name: 'engram', title: 'Engram memory', version: ENGRAM_VERSION },
      {
        capabilities: {
          tools: { listChanged: false },
          // Resource updates reach 2026-07-28 clients through subscriptions/listen; a 2025-era client
          // served per request has no stream to receive them on. The list itself never changes: a
          // list_changed is sent only where events were lost, so that a client re-reads what it holds.
          resources: era === 'modern' ? { subscribe: true, listChanged: true } : { listChanged: false },
        },
        instructions: INSTRUCTIONS,
      },
    );
    for (const entry of this.entries) {
      server.registerTool(
        entry.name,
        {
          ...entry.config,
          inputSchema: entry.input,
          outputSchema: entry.output,
          scopeChallenge: scopeChallenge(entry.name, entry.scope),
        },
        (args: unknown, ctx: ServerContext) => {
          const tracked = calls?.track(ctx.mcpReq.id, ctx.mcpReq.signal);
          const signal = tracked?.signal ?? ctx.mcpReq.signal;
          return this.observe(entry.name, signal, () =>
            entry.call(storableArguments(args), callContext(ctx, signal)),
          ).finally(() => tracked?.release());
        },
      );
    }
    // Listing hidden legacy names while keeping them callable needs a list of our own; it is also the
    // listing the SDK would build, without converting every schema on every request.
    server.server.setRequestHandler('tools/list', () => ({ tools: this.listed }));
    registerMemoryResources(server, this.deps);
    return server;
  }

  /**
   * Runs one tool call: refusals become `isError` results naming the problem, never a crash. A call the
   * client cancelled is counted as such; nobody receives its result.
   */
  private async observe(
    tool: string,
    signal: AbortSignal,
    call: () => Promise<CallToolResult>,
  ): Promise<CallToolResult> {
    const stopTimer = this.metrics.mcpToolDuration.startTimer({ tool });
    let outcome: Outcome = 'ok';
    try {
      return await traced(`mcp.tool ${tool}`, { 'mcp.tool.name': tool }, call);
    } catch (error) {
      const refused = error instanceof DomainError || error instanceof ZodError || isDatabaseBusy(error);
      if (isDatabaseBusy(error)) this.metrics.databaseBusy.inc({ surface: 'mcp' });
      outcome = signal.aborted ? 'cancelled' : refused ? 'rejected' : 'error';
      return { isError: true, content: [{ type: 'text', text: this.describe(tool, error, outcome) }] };
    } finally {
      stopTimer();
      this.metrics.mcpToolCalls.inc({ tool, outcome });
    }
  }

  private describe(tool: string, error: unknown, outcome: Outcome): string {
    if (error instanceof ZodError) {
      return describeIssues(error)
        .map((issue) => `${issue.path || 'arguments'}: ${issue.message}`)
        .join('; ');
    }
    if (isDatabaseBusy(error)) return toErrorResponse(error).body.message;
    if (outcome !== 'error') return (error as Error).message;
    this.logger.error({ msg: 'MCP tool failed', tool, error: (error as Error).stack ?? String(error) });
    return `${tool} failed on the server; the error is in the server log`;
  }
}

/**
 * Arguments held to the rule of an HTTP body (jsonShapeProblem): over HTTP the body parser already
 * refused them; over stdio a NUL in a tag reached PostgreSQL and the tool failed on the server.
 */
function storableArguments(args: unknown): unknown {
  const problem = jsonShapeProblem(args);
  if (problem) throw new InvalidInput(`arguments: ${problem}`);
  return args;
}

function structuredEntry(tool: McpTool): CatalogEntry {
  const scope: Scope = tool.effect === 'read' ? 'read' : 'write';
  return {
    name: tool.name,
    scope,
    config: { title: tool.title, description: tool.description, annotations: annotationsFor(tool) },
    input: portableSchema(argumentsOf(tool)),
    output: portableSchema(tool.output),
    async call(args, call) {
      requireScope(tool.name, scope);
      const answer = await tool.run(args as never, call);
      return { content: [{ type: 'text', text: answer.text }], structuredContent: answer.structured };
    },
  };
}

/**
 * Engram's own tools refuse arguments they do not take, so a misspelt or invented one (`tag` for `tags`,
 * `dryRun`) is an error the client can correct rather than a search unfiltered or a setting silently
 * left at its default; the schema says so (`additionalProperties: false`). The old names keep MCP Memory
 * Service's leniency (its clients may send what it ignored).
 */
function argumentsOf(tool: McpTool): McpTool['input'] {
  return tool.legacy ? tool.input : tool.input.strict();
}

function jsonTextEntry(tool: McpJsonTextTool): CatalogEntry {
  return {
    name: tool.name,
    scope: 'read',
    config: {
      title: tool.title,
      description: tool.description,
      annotations: annotationsFor({ title: tool.title, effect: 'read', idempotent: true }),
    },
    input: portableSchema(tool.input),
    async call(args) {
      requireScope(tool.name, 'read');
      const document = await tool.run(args as never);
      return { content: [{ type: 'text', text: JSON.stringify(document) }] };
    },
  };
}

/** What tools/list shows for one entry: the portable JSON Schemas the SDK validates against as well. */
function listedTool(entry: CatalogEntry): Tool {
  const jsonSchema = (schema: StandardSchemaWithJSON, io: 'input' | 'output') =>
    schema['~standard'].jsonSchema[io]({ target: 'draft-2020-12' });
  return {
    name: entry.name,
    ...entry.config,
    inputSchema: { type: 'object', ...jsonSchema(entry.input, 'input') } as Tool['inputSchema'],
    ...(entry.output && { outputSchema: jsonSchema(entry.output, 'output') as Tool['outputSchema'] }),
  };
}

function callContext(ctx: ServerContext, signal: AbortSignal): ToolCallContext {
  const progressToken = ctx.mcpReq._meta?.progressToken;
  return {
    signal,
    async reportProgress(progress, total, message) {
      if (progressToken === undefined) return;
      await ctx.mcpReq.notify({
        method: 'notifications/progress',
        params: { progressToken, progress, total, message },
      });
    },
  };
}
