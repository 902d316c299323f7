/** Every request the dashboard makes goes through here, carrying the API key in a header (never in a URL). */

import type { MemoryFileEntry, MemoryFileView } from '../../src/agent/memory-file.view';
import type { EngramEvent } from '../../src/events/engram-event';
import type { OverviewFigures } from '../../src/overview/overview.view';

export type { MemoryFileEntry, MemoryFileView } from '../../src/agent/memory-file.view';
export type { OverviewFigures, TrafficPoint } from '../../src/overview/overview.view';

export class Unauthorized extends Error {}

/** The request never got an answer (the server is down or the network is): the browser says only "Failed to fetch". */
export class ServerUnreachable extends Error {
  constructor() {
    super('Cannot reach the Engram server');
  }
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

export interface MemoryView {
  content_hash: string;
  content: string;
  tags: string[];
  memory_type: string;
  metadata: Record<string, unknown>;
  created_at_iso: string;
  updated_at_iso: string;
}

export interface DeletedMemoryView extends MemoryView {
  deleted_at_iso: string;
}

/** One memory of a conflict: it may have been superseded or deleted since the pair was proposed. */
export interface ConflictMemoryView extends MemoryView {
  superseded?: true;
  superseded_by?: string;
  deleted_at_iso?: string;
}

export const CONFLICT_STATUSES = ['open', 'resolved', 'dismissed', 'all'] as const;
export type ConflictStatus = (typeof CONFLICT_STATUSES)[number];

/** A proposed contradiction (GET /api/conflicts): both memories, older first, with score and evidence. */
export interface ConflictView {
  id: number;
  score: number;
  evidence: string[];
  /** The LLM judge's verdict (ENGRAM_CONFLICTS_JUDGE_URL); null without a judge. */
  judge: { verdict: string; model: string; reason?: string } | null;
  status: Exclude<ConflictStatus, 'all'>;
  /** judge_dismissed: the LLM judge found the pair compatible or unrelated. */
  resolution: 'supersede' | 'keep_both' | 'dismiss' | 'judge_dismissed' | null;
  /** supersede: the content_hash that stayed true. */
  kept?: string;
  created_at_iso: string;
  resolved_at_iso: string | null;
  older: ConflictMemoryView;
  newer: ConflictMemoryView;
}

export interface ConflictPage {
  conflicts: ConflictView[];
  total: number;
  page: number;
  page_size: number;
  has_more: boolean;
}

export type ConflictDecision =
  { conflict_id: number; action: 'supersede'; keep: string } | { conflict_id: number; action: 'keep_both' | 'dismiss' };

/** A page of GET /api/memories or its trash; a page reached by cursor has no number, and a total only where counted cheaply. */
export interface MemoryPage<T extends MemoryView = MemoryView> {
  memories: T[];
  total: number | null;
  page: number | null;
  page_size: number;
  has_more: boolean;
  total_pages: number | null;
  /** Pass back as `cursor` (with the same filters) for the page after this one; null on the last page. */
  next_cursor: string | null;
}

export interface SearchHit {
  memory: MemoryView;
  score: number;
  similarity_score: number | null;
  keyword_score: number | null;
}

export interface StatusReport {
  uptime_seconds: number;
  statistics: {
    total_memories: number;
    deleted_memories: number;
    unique_tags: number;
    memory_types: { memory_type: string; count: number }[];
    oldest_memory: string | null;
    newest_memory: string | null;
  };
  /** Null for keys bound to a namespace: these figures cover every namespace. */
  storage: { backend: string; database_size_bytes: number | null; free_disk_bytes: number | null };
  embedding: { provider: string; model: string; dimension: number };
  search: { fusion: string; default_min_score: number; rerank: { model: string | null } | null };
  versions: { engram: string; node: string };
}

/** Who the key belongs to and what it may do (GET /api/auth/whoami). */
export interface Caller {
  kind: 'local' | 'anonymous' | 'bootstrap' | 'api_key' | 'oauth';
  name: string | null;
  scopes: ('read' | 'write' | 'admin')[];
  namespace: string;
  bound_namespace: string | null;
  /** Keys, backups, restore, reindex, jobs: the admin scope and no namespace binding. */
  admin: boolean;
}

export function canWrite(caller: Caller): boolean {
  return caller.scopes.includes('write') || caller.scopes.includes('admin');
}

export interface ApiKeyView {
  id: string;
  name: string;
  prefix: string;
  scopes: string[];
  namespace: string | null;
  created_at: string;
  last_used_at: string | null;
  expires_at: string | null;
  revoked_at: string | null;
}

export interface OAuthClientView {
  client_id: string;
  client_name: string | null;
  redirect_uris: string[];
  registered_at: string;
  active_tokens: number;
  namespaces: string[];
  last_token_at: string | null;
}

export interface AuditEntryView {
  id: number;
  at: string;
  action: string;
  outcome: 'requested' | 'success' | 'failure' | 'denied';
  principal: { kind: string; id: string; name: string | null };
  namespace: string | null;
  client_address: string;
  target: string | null;
  details: Record<string, unknown>;
}

export interface MemoryDraft {
  content: string;
  tags: string[];
  memory_type: string;
}

interface ListedBackup {
  backup_id: string;
  size_bytes: number;
  created_at: string;
}

export interface SoundBackupView extends ListedBackup {
  state: 'ok';
  reason: string;
  memories: number;
  includes_memory_dir: boolean;
  verified: boolean;
}

/** A backup whose manifest cannot be read: only its id, time, size and what is wrong are known. */
export interface CorruptBackupView extends ListedBackup {
  state: 'corrupt';
  problem: string;
}

export type BackupView = SoundBackupView | CorruptBackupView;

/** What a crash left of a backup or a restore: listed apart, by the name it is deleted by. */
export interface IncompleteBackupView {
  name: string;
  /** Where it is on the server's disk, to check before deleting it. */
  path: string;
  kind: 'staging' | 'restoring-memory-dir' | 'replaced-memory-dir' | 'restore-scratch';
  size_bytes: number;
  modified_at: string;
  may_hold_only_copy: boolean;
  state: 'incomplete';
  problem: string;
}

export interface JobView {
  id: string;
  name: 'backup' | 'restore' | 'reindex' | 'import' | 'conflict-scan';
  state: 'waiting' | 'active' | 'completed' | 'failed' | 'cancelled' | 'delayed';
  progress: number;
  stage?: string;
  data: Record<string, unknown>;
  /** What the job found out while it ran (an import: `source`, `source_label`), however it ended. */
  details?: Record<string, unknown>;
  result?: Record<string, unknown>;
  error?: string;
  created_at: string;
  started_at?: string;
  finished_at?: string;
}

export interface ImportResult {
  source_label: string;
  dry_run: boolean;
  documents: number;
  items_read: number;
  stored: number;
  duplicates: number;
  failed: number;
  failures: { item: string; reason: string }[];
  files_written?: string[];
  duration_seconds: number;
}

export interface ImportSource {
  source: string;
  label: string;
  memory_dir: boolean;
}

export interface AgentStatus {
  endpoint: { configured: boolean; provider: string; model: string; base_url?: string };
  transcripts_kept: boolean;
  sandbox: { checked: boolean; available?: boolean; mode?: string; problems?: string[] };
}

export interface AgentFileChange {
  path: string;
  change: 'created' | 'updated' | 'deleted';
  diff: string | null;
}

export interface AgentAnswer {
  reply: string;
  turns: number;
  files_changed: AgentFileChange[];
  redactions: number;
}

export interface Transcript {
  at: string;
  namespace: string;
  messages: { role: string; content: string }[];
}

export class EngramApi {
  constructor(private readonly key: string | undefined) {}

  whoami(): Promise<Caller> {
    return this.call('GET', '/api/auth/whoami');
  }

  status(): Promise<StatusReport> {
    return this.call('GET', '/api/health/detailed');
  }

  ready(): Promise<{ status: string }> {
    return this.call('GET', '/health/ready', undefined, [503]);
  }

  overview(): Promise<OverviewFigures> {
    return this.call('GET', '/api/overview');
  }

  recentEvents(limit: number): Promise<{ events: EngramEvent[]; last_event_id: number | string }> {
    return this.call('GET', `/api/events/recent?limit=${limit}`);
  }

  list(query: URLSearchParams): Promise<MemoryPage> {
    return this.call('GET', `/api/memories?${query}`);
  }

  tags(): Promise<{ tags: { tag: string; count: number }[] }> {
    return this.call('GET', '/api/tags');
  }

  types(): Promise<{ types: { memory_type: string; count: number }[] }> {
    return this.call('GET', '/api/types');
  }

  search(body: Record<string, unknown>): Promise<{ results: SearchHit[]; below_floor: number }> {
    return this.call('POST', '/api/search', body);
  }

  create(draft: MemoryDraft): Promise<{ memory: MemoryView }> {
    return this.call('POST', '/api/memories', draft);
  }

  update(hash: string, draft: MemoryDraft): Promise<{ memory: MemoryView }> {
    return this.call('PUT', `/api/memories/${hash}`, draft);
  }

  remove(hash: string): Promise<unknown> {
    return this.call('DELETE', `/api/memories/${hash}`);
  }

  get(hash: string): Promise<MemoryView> {
    return this.call('GET', `/api/memories/${encodeURIComponent(hash)}`);
  }

  /** The first page of the trash, or the page after `cursor` (a page's next_cursor). */
  trash(cursor: string | undefined, pageSize: number): Promise<MemoryPage<DeletedMemoryView>> {
    const query = new URLSearchParams({ page_size: String(pageSize) });
    if (cursor !== undefined) query.set('cursor', cursor);
    return this.call('GET', `/api/memories/trash?${query}`);
  }

  /** The memory in the trash, or undefined when it is not there either. */
  async deleted(hash: string): Promise<DeletedMemoryView | undefined> {
    const answer = await this.call<DeletedMemoryView & { error?: string }>(
      'GET',
      `/api/memories/trash/${encodeURIComponent(hash)}`,
      undefined,
      [404],
    );
    return answer.error ? undefined : answer;
  }

  restore(hash: string): Promise<{ memory: MemoryView }> {
    return this.call('POST', `/api/memories/${hash}/restore`);
  }

  purge(hash: string): Promise<unknown> {
    return this.call('DELETE', `/api/memories/trash/${hash}`);
  }

  backups(): Promise<{ backups: BackupView[]; incomplete: IncompleteBackupView[] }> {
    return this.call('GET', '/api/admin/backups');
  }

  /** A backup by its id, or an incomplete one by its name: 404 when unknown, 409 for a staging folder being written. */
  deleteBackup(name: string): Promise<{ deleted: string; size_bytes: number }> {
    return this.call('DELETE', `/api/admin/backups/${encodeURIComponent(name)}`);
  }

  backUpNow(): Promise<{ job: JobView }> {
    return this.call('POST', '/api/admin/backup');
  }

  restoreBackup(backupId: string): Promise<{ job: JobView }> {
    return this.call('POST', '/api/admin/restore', { backup_id: backupId });
  }

  reindex(): Promise<{ job: JobView }> {
    return this.call('POST', '/api/admin/reindex');
  }

  jobs(limit: number): Promise<{ jobs: JobView[] }> {
    return this.call('GET', `/api/jobs?limit=${limit}`);
  }

  importSources(): Promise<{ sources: ImportSource[] }> {
    return this.call('GET', '/api/import/sources');
  }

  importHistory(limit: number): Promise<{ jobs: JobView[] }> {
    return this.call('GET', `/api/import?limit=${limit}`);
  }

  startImport(form: FormData): Promise<{ job_id: string; job: JobView }> {
    return this.call('POST', '/api/import', form);
  }

  importJob(id: string): Promise<JobView> {
    return this.call('GET', `/api/import/${encodeURIComponent(id)}`);
  }

  conflicts(status: ConflictStatus, page: number, pageSize: number): Promise<ConflictPage> {
    return this.call('GET', `/api/conflicts?status=${status}&page=${page}&page_size=${pageSize}`);
  }

  scanConflicts(): Promise<{ job_id: string; job: JobView }> {
    return this.call('POST', '/api/conflicts/scan');
  }

  conflictScan(id: string): Promise<JobView> {
    return this.call('GET', `/api/conflicts/scan/${encodeURIComponent(id)}`);
  }

  resolveConflict(decision: ConflictDecision): Promise<{ unchanged: boolean; conflict: ConflictView }> {
    return this.call('POST', '/api/conflicts/resolve', decision);
  }

  agentStatus(): Promise<AgentStatus> {
    return this.call('GET', '/api/agent/status');
  }

  askAgent(question: string, filters: string[]): Promise<AgentAnswer> {
    return this.call('POST', '/api/agent/query', { question, filters });
  }

  agentFiles(): Promise<{ files: MemoryFileEntry[] }> {
    return this.call('GET', '/api/agent/files');
  }

  agentFile(path: string): Promise<MemoryFileView> {
    return this.call('GET', `/api/agent/files/${path.split('/').map(encodeURIComponent).join('/')}`);
  }

  filters(): Promise<{ content: string }> {
    return this.call('GET', '/api/agent/files/.filters');
  }

  saveFilters(content: string): Promise<{ content: string }> {
    return this.call('PUT', '/api/agent/files/.filters', { content });
  }

  transcripts(): Promise<{ transcripts: Transcript[] }> {
    return this.call('GET', '/api/agent/transcripts');
  }

  keys(): Promise<{ keys: ApiKeyView[] }> {
    return this.call('GET', '/api/admin/keys');
  }

  createKey(body: { name: string; scopes: string[]; namespace?: string; expires_in_days?: number }) {
    return this.call<ApiKeyView & { key: string }>('POST', '/api/admin/keys', body);
  }

  revokeKey(id: string): Promise<ApiKeyView> {
    return this.call('DELETE', `/api/admin/keys/${encodeURIComponent(id)}`);
  }

  /** OAuth connectors; undefined when OAuth is off on this server (the route does not exist). */
  async oauthClients(): Promise<OAuthClientView[] | undefined> {
    const answer = await this.call<{ clients?: OAuthClientView[] }>(
      'GET',
      '/api/admin/oauth/clients',
      undefined,
      [404],
    );
    return answer.clients;
  }

  revokeOAuthClient(id: string): Promise<unknown> {
    return this.call('DELETE', `/api/admin/oauth/clients/${encodeURIComponent(id)}`);
  }

  audit(query: URLSearchParams): Promise<{ events: AuditEntryView[]; next_cursor: number | null }> {
    return this.call('GET', `/api/admin/audit?${query}`);
  }

  /**
   * The live event stream, read with fetch so the key travels in a header: URLs end up in proxy and
   * ingress access logs, headers do not. `lastEventId` resumes after the last event seen.
   */
  openEventStream(lastEventId: string | undefined, signal: AbortSignal): Promise<Response> {
    const headers = this.headers();
    headers.Accept = 'text/event-stream';
    if (lastEventId !== undefined) headers['Last-Event-ID'] = lastEventId;
    return fetch('/api/events/stream?frames=named', { headers, signal, cache: 'no-store' });
  }

  private headers(): Record<string, string> {
    return this.key ? { 'X-API-Key': this.key } : {};
  }

  private async call<T>(method: string, path: string, body?: unknown, okStatuses: number[] = []): Promise<T> {
    const headers = this.headers();
    const isForm = body instanceof FormData;
    if (body !== undefined && !isForm) headers['Content-Type'] = 'application/json';
    const response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : isForm ? body : JSON.stringify(body),
    }).catch(() => {
      throw new ServerUnreachable();
    });
    if (response.status === 401) throw new Unauthorized('The API key was refused');
    const answer = await response.json().catch(() => ({}));
    if (!response.ok && !okStatuses.includes(response.status)) {
      throw new ApiError(
        response.status,
        answer.message ?? `${method} ${path} answered ${response.status}`,
        answer.details,
      );
    }
    return answer as T;
  }
}

/** True when the server answers data requests without a key (loopback without MCP_API_KEY). */
export async function serverIsOpen(): Promise<boolean> {
  return (await fetch('/api/health/detailed')).status === 200;
}
