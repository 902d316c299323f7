import {
  BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  Optional,
} from '@nestjs/common';
import { AuditAction } from '../audit/audit-event';
import { AuditService } from '../audit/audit.service';
import { currentNamespace } from '../auth/request-context';
import { APP_CONFIG, AppConfig } from '../config/config.types';
import { EventBus } from '../events/event-bus';
import { EngramMetrics } from '../metrics/engram-metrics';
import { SandboxService } from '../sandbox/sandbox.service';
import { AgentFileStore, AgentFileWorkspace } from '../storage/agent-file.store';
import { StoreLocks } from '../storage/locks/store-locks';
import { runAgentLoop } from './agent-loop';
import { agentSystemPrompt } from './agent-prompt';
import { AgentIncomplete, AgentInterrupted, AgentModelFailed, AgentUnavailable } from './agent.errors';
import { ChatCompletionsRepository, ChatMessage, ModelEndpointError } from './chat-completions.repository';
import { unifiedDiff } from '../common/file-diff';
import { MemoryDirectoryRepository } from './memory-dir/memory-directory.repository';
import { FileChangeKind, MemoryFunctions } from './memory-dir/memory-functions';
import { MemoryFileIndexer } from './memory-file.indexer';
import { errorObservation, successObservation } from './observation';
import { questionWithFilters, readFiltersFile, redactReply } from './privacy-filters';

export interface AgentQuery {
  question: string;
  /** Privacy rules for this question, added to those of the memory's `.filters` file. */
  filters?: string[];
}

export interface AgentAnswer {
  reply: string;
  /** Model calls the answer took. */
  turns: number;
  /** With a unified diff of each file (null when too large to compute; see file-diff.ts). */
  files_changed: FileChange[];
  /** Spans removed from the reply by the filters' deterministic patterns. */
  redactions: number;
}

export interface FileChange {
  path: string;
  change: FileChangeKind;
  diff: string | null;
}

export interface AgentRunHooks {
  signal?: AbortSignal;
  onProgress?(turn: number, maxTurns: number, message: string): void | Promise<void>;
}

const KEPT_TRANSCRIPTS = 20;
const INTERRUPTED =
  'The server began shutting down before the memory agent replied; what it wrote so far is kept. Ask again.';
const UNCONFIGURED =
  'The memory agent has no model endpoint. Set VLLM_HOST (and VLLM_PORT, default 8000) for a vLLM server, ' +
  'ENGRAM_AGENT_BASE_URL (and ENGRAM_AGENT_API_KEY) for any OpenAI-compatible endpoint, or OPENROUTER_API_KEY.';

interface EndpointDescription {
  provider: string;
  model: string;
  base_url?: string;
}

/**
 * Answers questions with the mem-agent model over the namespace's markdown memory: one run at a time
 * per namespace, code in the sandbox, filters told to the model and enforced on its reply, changed
 * files announced (SSE) and mirrored into search.
 */
@Injectable()
export class AgentService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('MemoryAgent');
  private readonly model: ChatCompletionsRepository;
  private readonly transcripts: { at: string; namespace: string; messages: ChatMessage[] }[] = [];
  /** Questions being answered: a stopping server waits for them, within its grace. */
  private readonly running = new Set<Promise<unknown>>();
  private stopping = false;
  /** Aborted when the grace has passed: what is still running stops at once and says so. */
  private readonly interruption = new AbortController();

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly sandbox: SandboxService,
    private readonly indexer: MemoryFileIndexer,
    private readonly events: EventBus,
    private readonly audit: AuditService,
    private readonly locks: StoreLocks,
    private readonly files: AgentFileStore,
    @Optional() private readonly metrics?: EngramMetrics,
  ) {
    this.model = new ChatCompletionsRepository(config.agent, metrics);
  }

  get configured(): boolean {
    return this.config.agent.baseUrl !== undefined;
  }

  /** Probes the sandbox (logging a warning when none works) and indexes hand edits, in the background. */
  onApplicationBootstrap(): void {
    if (!this.configured) return;
    void this.sandbox.detect();
    void this.indexAllNamespaces().catch((error: Error) =>
      this.logger.warn({ msg: 'memory directory indexing failed', error: error.message }),
    );
  }

  /**
   * A stopping server takes no new question and gives the running ones ENGRAM_AGENT_SHUTDOWN_GRACE_SECONDS
   * to reply, then interrupts them: each caller gets a 503 naming what its run kept, not a connection
   * cut by the process manager's kill when a question (up to ENGRAM_AGENT_DEADLINE_SECONDS) outlasts it.
   */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    if (this.running.size === 0) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([...this.running]),
      new Promise((resolve) => (timer = setTimeout(resolve, this.config.agent.shutdownGraceMs))),
    ]);
    clearTimeout(timer);
    if (this.running.size === 0) return;
    this.logger.warn({ msg: 'Interrupting memory agent questions at shutdown', questions: this.running.size });
    this.interruption.abort(new Error('the server is shutting down'));
    await Promise.allSettled([...this.running]);
  }

  /** What /health/ready and the status tools show: never the key. */
  describeEndpoint(): EndpointDescription & { configured: boolean; fallback?: EndpointDescription } {
    const { provider, model, baseUrl, fallback } = this.config.agent;
    return {
      configured: this.configured,
      provider,
      model,
      ...(baseUrl ? { base_url: withoutCredentials(baseUrl) } : {}),
      ...(fallback
        ? {
            fallback: {
              provider: fallback.provider,
              model: fallback.model,
              base_url: withoutCredentials(fallback.baseUrl),
            },
          }
        : {}),
    };
  }

  /** ENGRAM_AGENT_KEEP_TRANSCRIPTS: whether recentTranscripts() fills. */
  get keepsTranscripts(): boolean {
    return this.config.agent.keepTranscripts;
  }

  recentTranscripts(): readonly { at: string; namespace: string; messages: ChatMessage[] }[] {
    return this.transcripts;
  }

  async query(query: AgentQuery, hooks: AgentRunHooks = {}): Promise<AgentAnswer> {
    if (!this.configured) throw new AgentUnavailable(UNCONFIGURED);
    const isolation = await this.sandbox.detect();
    if (!isolation.available) {
      throw new AgentUnavailable(
        'The memory agent cannot run model-written code safely here: no sandbox isolation works ' +
          `(${isolation.problems.join('; ')}). See docs/agent.md, "Sandbox".`,
      );
    }
    if (this.stopping) throw new AgentInterrupted('The server is shutting down and takes no new questions; ask again.');
    const namespace = currentNamespace();
    const signal = hooks.signal ? AbortSignal.any([hooks.signal, this.interruption.signal]) : this.interruption.signal;
    // One writer per folder across every process (api replicas, the worker's imports, stdio MCP); a
    // restore or a backup's archive step keeps it waiting, within the run's own time budget.
    const run = this.locks
      .writeMemoryDir(namespace, () => this.answer(namespace, query, { ...hooks, signal }), {
        timeoutMs: this.config.agent.deadlineMs,
        signal,
      })
      .catch((error: unknown) => {
        if (!this.interruption.signal.aborted || error instanceof AgentInterrupted) throw error;
        // Interrupted while waiting for the folder: nothing ran.
        throw new AgentInterrupted(INTERRUPTED, { files_changed: [] });
      });
    this.running.add(run);
    try {
      return await run;
    } finally {
      this.running.delete(run);
    }
  }

  /** The run works on a local folder (the memory's own, or a private copy saved back when the run ends). */
  private async answer(namespace: string, query: AgentQuery, hooks: AgentRunHooks): Promise<AgentAnswer> {
    const workspace = await this.files.openWorkspace(namespace, 'agent');
    try {
      return await this.answerIn(namespace, workspace, query, hooks);
    } finally {
      await workspace.close();
    }
  }

  private async answerIn(
    namespace: string,
    workspace: AgentFileWorkspace,
    query: AgentQuery,
    hooks: AgentRunHooks,
  ): Promise<AgentAnswer> {
    const directory = new MemoryDirectoryRepository(workspace.root, workspace.limits);
    const rules = [...(await readFiltersFile(directory.root)), ...(query.filters ?? [])];
    const functions = new MemoryFunctions(directory);
    const { agent, sandbox } = this.config;
    try {
      const outcome = await runAgentLoop(
        agentSystemPrompt(sandbox.timeoutMs / 1000),
        questionWithFilters(query.question, rules),
        {
          complete: (messages, signal) => this.model.complete(messages, signal),
          runCode: (code) => this.runCode(directory.root, code, functions, hooks.signal),
          onModelCall: (call, maxCalls) =>
            hooks.onProgress?.(
              call - 1,
              maxCalls,
              call === 1 ? 'reading the memory' : `turn ${call} of at most ${maxCalls}`,
            ),
        },
        { maxToolTurns: agent.maxToolTurns, deadlineMs: agent.deadlineMs, tokenBudget: agent.tokenBudget },
        hooks.signal,
      );
      this.keepTranscript(namespace, outcome.transcript);
      this.metrics?.agentTurns.observe(outcome.turns);
      if (outcome.outcome !== 'replied') {
        this.metrics?.agentRuns.inc({
          outcome: outcome.outcome === 'token_budget' ? 'budget_exhausted' : outcome.outcome,
        });
        throw new AgentIncomplete(`The memory agent stopped without a reply: ${outcome.message}`, {
          reason: outcome.outcome,
          turns: outcome.turns,
          files_changed: await changesOf(directory, functions),
        });
      }
      const { reply, redactions } = redactReply(outcome.reply, rules, agent.redactPatterns);
      this.metrics?.agentRuns.inc({ outcome: 'replied' });
      return { reply, turns: outcome.turns, files_changed: await changesOf(directory, functions), redactions };
    } catch (error) {
      if (error instanceof AgentIncomplete) throw error;
      if (this.interruption.signal.aborted) {
        this.metrics?.agentRuns.inc({ outcome: 'interrupted' });
        throw new AgentInterrupted(INTERRUPTED, { files_changed: await changesOf(directory, functions) });
      }
      this.metrics?.agentRuns.inc({
        outcome: hooks.signal?.aborted ? 'cancelled' : error instanceof ModelEndpointError ? 'model_error' : 'error',
      });
      if (error instanceof ModelEndpointError) {
        throw new AgentModelFailed(`The memory agent's model endpoint failed: ${error.message}`, {
          files_changed: await changesOf(directory, functions),
        });
      }
      throw error;
    } finally {
      // Whatever ended the run, what it wrote is kept, as it always was in the folder.
      await workspace.save();
      await this.announce(namespace, functions);
    }
  }

  private async runCode(root: string, code: string, functions: MemoryFunctions, signal?: AbortSignal): Promise<string> {
    const maxChars = this.config.agent.toolOutputChars;
    const outcome = await this.sandbox.run(
      root,
      code,
      maxChars,
      async (fn, args) =>
        functions.isKnown(fn)
          ? functions.call(fn, args)
          : { raise: { type: 'NameError', message: `name '${fn}' is not defined` } },
      signal,
    );
    return outcome.kind === 'ok'
      ? successObservation(outcome.result, maxChars)
      : errorObservation(outcome.error, maxChars);
  }

  /** SSE events and search entries for what the run changed; refusals counted as violations. */
  private async announce(namespace: string, functions: MemoryFunctions) {
    for (const [kind, count] of Object.entries(functions.refusals)) {
      for (let i = 0; i < count; i += 1) this.sandbox.countViolation(kind as 'path' | 'limit');
    }
    for (const [path, change] of functions.changes) {
      this.events.publish('memory_file_changed', { path, change }, namespace);
    }
    // Paths and kinds only: the diffs the caller gets hold memory content.
    const files = [...functions.changes].map(([path, change]) => ({ path, change }));
    if (files.length > 0)
      await this.audit.record({
        action: AuditAction.AgentFilesChange,
        outcome: 'success',
        namespace,
        details: { files },
      });
    await this.indexer
      .apply(namespace, functions.changes)
      .catch((error: Error) => this.logger.warn({ msg: 'memory directory indexing failed', error: error.message }));
  }

  private keepTranscript(namespace: string, messages: ChatMessage[]): void {
    if (!this.config.agent.keepTranscripts) return;
    this.logger.debug({ msg: 'memory agent transcript', namespace, messages });
    this.transcripts.push({ at: new Date().toISOString(), namespace, messages });
    if (this.transcripts.length > KEPT_TRANSCRIPTS) this.transcripts.shift();
  }

  private async indexAllNamespaces(): Promise<void> {
    for (const namespace of await this.files.namespaces()) {
      await this.locks.writeMemoryDir(namespace, () => this.indexer.syncAll(namespace));
    }
  }
}

/** A base URL may carry user:password@; it is never shown. */
function withoutCredentials(url: string): string {
  const parsed = new URL(url);
  parsed.username = '';
  parsed.password = '';
  return parsed.toString().replace(/\/+$/, '');
}

/** What the run changed, each file diffed against its text before the run (read under the run's lock). */
async function changesOf(directory: MemoryDirectoryRepository, functions: MemoryFunctions): Promise<FileChange[]> {
  const changes: FileChange[] = [];
  for (const [path, change] of functions.changes) {
    const after = change === 'deleted' ? null : await directory.readText(directory.resolve(path)).catch(() => null);
    changes.push({ path, change, diff: unifiedDiff(path, functions.originals.get(path) ?? null, after) });
  }
  return changes;
}
