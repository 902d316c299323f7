/** Every data request the dashboard makes goes through here, carrying the API key. */

export class Unauthorized extends Error {}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
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

export interface MemoryPage {
  memories: MemoryView[];
  total: number;
  page: number;
  page_size: number;
  has_more: boolean;
  total_pages: number;
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
  storage: { backend: string; database_size_bytes: number; free_disk_bytes: number };
  embedding: { provider: string; model: string; dimension: number };
  search: { fusion: string; default_min_score: number; rerank: { model: string | null } | null };
  versions: { engram: string; node: string };
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

export interface MemoryDraft {
  content: string;
  tags: string[];
  memory_type: string;
}

export class EngramApi {
  constructor(private readonly key: string | undefined) {}

  status(): Promise<StatusReport> {
    return this.call('GET', '/api/health/detailed');
  }

  ready(): Promise<{ status: string }> {
    return this.call('GET', '/health/ready', undefined, [503]);
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

  search(body: Record<string, unknown>): Promise<{ results: SearchHit[] }> {
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

  /** EventSource cannot send headers: the stream alone takes the key in its query string. */
  streamUrl(): string {
    const query = new URLSearchParams({ frames: 'named' });
    if (this.key) query.set('api_key', this.key);
    return `/api/events/stream?${query}`;
  }

  private async call<T>(method: string, path: string, body?: unknown, okStatuses: number[] = []): Promise<T> {
    const headers: Record<string, string> = {};
    if (this.key) headers['X-API-Key'] = this.key;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (response.status === 401) throw new Unauthorized('The API key was refused');
    const answer = await response.json().catch(() => ({}));
    if (!response.ok && !okStatuses.includes(response.status)) {
      throw new ApiError(response.status, answer.message ?? `${method} ${path} answered ${response.status}`);
    }
    return answer as T;
  }
}

/** True when the server answers data requests without a key (loopback without MCP_API_KEY). */
export async function serverIsOpen(): Promise<boolean> {
  return (await fetch('/api/health/detailed')).status === 200;
}
