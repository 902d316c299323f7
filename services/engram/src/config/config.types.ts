import type { Cidr } from './cidr-list';

/** The validated, typed configuration every module reads; built once at start-up by `loadConfig`. */
import type { RelevanceWeights } from './relevance-model';

export type EmbeddingProviderName = 'local' | 'onnx' | 'openai';

export interface EmbeddingConfig {
  provider: EmbeddingProviderName;
  /** Texts per model call; long batches are split so the event loop keeps turning. */
  batchSize: number;
  /**
   * Worker threads for `local`, each holding its own model copy (~250 MB); when absent, the number
   * of cores up to 4.
   */
  localWorkers?: number;
  /**
   * Arithmetic of the local model's per-token layers: `int8` (~1.5x the texts per second) or `fp32`
   * (the TF.js graph's own vectors). The vectors are interchangeable (cosine ~0.9985), so one store
   * takes either. Absent: int8.
   */
  localPrecision?: 'fp32' | 'int8';
  /** Folder with model.onnx (or onnx/model.onnx), tokenizer.json and config.json, for `onnx`. */
  onnxModelDir?: string;
  /** Base URL of an OpenAI-compatible API (…/v1), for `openai`. */
  openaiBaseUrl?: string;
  openaiModel?: string;
  openaiApiKey?: string;
  /** Expected vector length for `openai`; when absent it is learned from the first response. */
  openaiDimension?: number;
  /**
   * Put before every search query (not before stored memories): instruction-tuned embedding models
   * (Qwen3-Embedding, e5, bge) expect one. Changing it needs no reindex.
   */
  queryPrefix: string;
  requestTimeoutMs: number;
}

export type HybridFusionMethod = 'calibrated' | 'weighted_average' | 'rrf';

export interface SearchConfig {
  /**
   * How hybrid search merges its two lists: `weighted_average` of min-max normalised cosine and BM25
   * scores, or `rrf` (reciprocal rank fusion, ranks only).
   */
  fusionMethod: HybridFusionMethod;
  /** Weights of the relevance model behind `calibrated` scores (config/relevance-model.ts). */
  relevanceWeights: RelevanceWeights;
  /**
   * Relevance floor MCP search tools and the dashboard apply unless the caller gives its own
   * `min_score` (ENGRAM_SEARCH_MIN_SCORE); REST applies none by default.
   */
  minScore: number;
  /** Weight of vector similarity in hybrid fusion (both methods). */
  semanticWeight: number;
  /** Weight of BM25 keyword relevance in hybrid fusion (both methods). */
  keywordWeight: number;
  /** k of reciprocal rank fusion: score = Σ weight / (k + rank). */
  rrfK: number;
  /** Added by `rrf` to a memory both lists found. */
  rrfConsensusBoost: number;
  /** IANA time zone used to read natural-language time expressions ("yesterday"). */
  timeZone: string;
}

/** The optional rerank stage: a cross-encoder that re-orders hybrid search's best candidates. */
export interface RerankConfig {
  /** Base URL of the reranker (`…/v1` for vLLM); `/rerank` is appended. Absent: no rerank stage. */
  url?: string;
  /** Wire format: `jina` (vLLM, Jina, Cohere-compatible) or `tei` (Hugging Face text-embeddings-inference). */
  api: 'jina' | 'tei';
  /** Model name sent with each request (`jina` format). */
  model?: string;
  apiKey?: string;
  /** How many of the first-stage results the reranker reads (at least the requested limit). */
  candidates: number;
  /** Past this, the search answers without reranking. */
  timeoutMs: number;
}

export interface LimitsConfig {
  /** Largest accepted memory content, in UTF-8 bytes (413 above it). */
  maxContentBytes: number;
  /** Largest accepted metadata object, serialised as JSON, in bytes. */
  maxMetadataBytes: number;
  /** Largest request body, in bytes, of the routes that declare @LargeBody (413 above it); others read 64 KiB. */
  maxBodyBytes: number;
  /** Most memories accepted by one batch-store request. */
  maxBatchItems: number;
}

export interface OAuthConfig {
  /** OAuth 2.1 authorization server for MCP connectors (ChatGPT, Claude): ENGRAM_OAUTH_ENABLED. */
  enabled: boolean;
  /** Operator password for the consent page; without it the operator signs in with an admin API key. */
  password?: string;
  /** When set, dynamic client registration needs it as a Bearer token (RFC 7591 initial access token). */
  registrationToken?: string;
  /** Dynamic client registration open to anyone (ENGRAM_OAUTH_OPEN_REGISTRATION); off by default. */
  openRegistration: boolean;
  /** Clients may identify with an https client_id naming their metadata document (CIMD). */
  metadataDocuments: boolean;
  /** Hosts and CIDR ranges metadata documents may be fetched from although private or loopback. */
  metadataPrivateHosts: string[];
  accessTokenSeconds: number;
  refreshTokenDays: number;
  /** Absolute lifetime of one approval: refresh tokens stop working this long after the consent. */
  grantMaxDays: number;
}

export interface McpConfig {
  /** `listed` (default): legacy tool names appear in tools/list marked deprecated; `unlisted`: callable, not listed. */
  legacyTools: 'listed' | 'unlisted';
  /** `subscriptions/listen` streams one credential may hold open at once (over all its namespaces). */
  streamsPerCredential: number;
}

export interface JobsConfig {
  /** Jobs that may wait at once; more are refused with 429. */
  maxWaiting: number;
  /** Jobs of one namespace (imports, conflict scans, consolidation runs) that may wait at once (429 past it). */
  maxWaitingPerNamespace: number;
  /**
   * Finished jobs kept to be read again (GET /api/jobs/:id, the import history, a scan's status), per
   * namespace, and as many whole-store ones: one namespace's jobs never push another's out.
   */
  keepFinishedPerNamespace: number;
}

export interface EventsConfig {
  /** Events kept per namespace for Last-Event-ID replay (by each api process, and with Redis by all). */
  ringSize: number;
  /** Events kept for replay across every namespace; past it the windows of the namespaces idle longest go. */
  ringTotal: number;
  /** Put full memory content in memory events (default: a preview only). */
  includeContent: boolean;
  /**
   * With Redis, also publish each event on the channel of the builds with one id sequence, in their message,
   * so that their replicas deliver it during a rolling upgrade (see RedisKeys.legacyEventsChannel).
   */
  legacyChannel: boolean;
  /** Seconds between SSE heartbeat comments, which keep proxies from closing idle streams. */
  sseHeartbeatSeconds: number;
  /** Bytes an SSE client may leave unread before it is dropped (it reconnects and replays). */
  sseClientBufferBytes: number;
  /** Open SSE streams one process accepts; more are refused with 503. */
  sseMaxClients: number;
  /** Open SSE streams one credential may hold in one process; more are refused with 429. */
  sseMaxClientsPerCredential: number;
  /** Open SSE streams the credentials bound to one namespace may hold in one process together (429 past it). */
  sseMaxClientsPerNamespace: number;
}

/** `none`: no endpoint configured, the agent answers 503. */
export type AgentProvider = 'vllm' | 'openrouter' | 'openai_compatible' | 'none';

export interface AgentConfig {
  /** OpenAI-compatible base URL (…/v1); absent when no endpoint is configured. */
  baseUrl?: string;
  apiKey?: string;
  provider: AgentProvider;
  /** Model name sent with each request (AGENT_MODEL). */
  model: string;
  /** Asked when the primary answers 5xx, refuses the connection or times out (never on a 4xx). */
  fallback?: AgentFallbackConfig;
  /** One chat-completions request, retries excluded. */
  requestTimeoutMs: number;
  /** Retries on 429, 5xx and network errors, with exponential backoff. */
  maxRetries: number;
  /** Upper bound of generated tokens per model call. */
  maxTokens: number;
  /** Tool turns after the first model call (the reference uses 20). */
  maxToolTurns: number;
  /** Characters of one code result fed back to the model; longer results are cut with a marker. */
  toolOutputChars: number;
  /** Wall-clock limit of one question, all turns together. */
  deadlineMs: number;
  /** How long a stopping server lets running questions finish before it interrupts them. */
  shutdownGraceMs: number;
  /** Prompt plus completion tokens one question may spend. */
  tokenBudget: number;
  /** Keep each run's transcript in memory for debugging (returned on request, never logged at info). */
  keepTranscripts: boolean;
  /** Regular expressions always removed from replies, on top of those the filters call for. */
  redactPatterns: string[];
}

/** ENGRAM_AGENT_FALLBACK_*: a second OpenAI-compatible endpoint (OpenRouter in the "hybrid" deployment). */
export interface AgentFallbackConfig {
  baseUrl: string;
  apiKey?: string;
  provider: 'openrouter' | 'openai_compatible';
  /** ENGRAM_AGENT_FALLBACK_MODEL, AGENT_MODEL when unset. */
  model: string;
}

/**
 * ENGRAM_CONFLICTS_JUDGE_*: an OpenAI-compatible chat model asked to confirm each proposal of the CPU
 * contradiction detector. Absent: no judge.
 */
export interface ConflictJudgeConfig {
  /** Base URL (…/v1): ENGRAM_CONFLICTS_JUDGE_URL, or the agent's with `agent`. */
  baseUrl: string;
  apiKey?: string;
  /** The agent's provider with `agent`; `openai_compatible` otherwise. */
  provider: AgentProvider;
  model: string;
  /** One judgement; on a store, the whole review waits at most this long for the judge. */
  timeoutMs: number;
  /** Judge requests in flight at once, shared by every process through Redis or PostgreSQL (SQLite alone: this process). */
  concurrency: number;
  /** Judge requests of one namespace waiting for a slot at once, per process; past it the oldest gives way. */
  maxWaitingPerNamespace: number;
}

export interface SandboxConfig {
  /** `auto` picks bubblewrap when it works here, else Landlock; never runs code without isolation. */
  mode: 'auto' | 'bwrap' | 'landlock';
  /** The interpreter (the distribution's python3, whose libraries live under /usr/lib). */
  python: string;
  timeoutMs: number;
  memoryBytes: number;
}

export type TracingSampler =
  | 'parentbased_always_on'
  | 'parentbased_always_off'
  | 'parentbased_traceidratio'
  | 'always_on'
  | 'always_off'
  | 'traceidratio';

/** OpenTelemetry tracing (tracing/), from the standard OTEL_* variables. */
export interface TracingConfig {
  /** The OTLP/HTTP traces URL; absent: tracing is off. */
  tracesEndpoint?: string;
  /** Headers sent with every export (e.g. an authorization token); never logged. */
  headers: Record<string, string>;
  serviceName: string;
  /** Extra resource attributes (OTEL_RESOURCE_ATTRIBUTES), e.g. deployment.environment. */
  resourceAttributes: Record<string, string>;
  sampler: TracingSampler;
  /** Share of traces kept by the ratio samplers (OTEL_TRACES_SAMPLER_ARG). */
  samplerRatio: number;
}

/** `sqlite_vec`: one SQLite file (embedded default); `postgres`: PostgreSQL + pgvector, for many replicas. */
export type StorageBackend = 'sqlite_vec' | 'postgres';

/** How the PostgreSQL adapter connects (storage/postgres/): read only when that backend is asked for. */
export interface PostgresConfig {
  /** postgres://user:pass@host:5432/db?sslmode=…; may hold a password, so never logged. */
  url: string;
  /** Connections per process. */
  poolSize: number;
  /** Server-side limit on one statement, and how long a request waits for a free connection. */
  statementTimeoutMs: number;
}

/** How the SQLite store finds vector candidates in large sets: an HNSW index, or the 1-bit Hamming scan. */
export type VectorIndexMode = 'ann' | 'scan';

/**
 * How long a client may take to send a request on the api's and the worker's HTTP ports before it is
 * answered 408 `request_timeout` and its connection closed (a slow-header client holds a connection).
 */
export interface HttpTimeouts {
  /** The request line and headers (ENGRAM_HTTP_HEADERS_TIMEOUT_MS). */
  headersMs: number;
  /** The whole request, body included (ENGRAM_HTTP_REQUEST_TIMEOUT_MS); 0: no limit, as uploads can be long. */
  requestMs: number;
}

export interface AppConfig {
  http: {
    host: string;
    port: number;
    corsOrigins: string[];
    /**
     * Proxies (ingress, load balancer) whose X-Forwarded-For is believed (ENGRAM_TRUSTED_PROXIES): the
     * client address used by the failed-credential limiter, the audit log and the access log.
     */
    trustedProxies: Cidr[];
    timeouts: HttpTimeouts;
  };
  auth: {
    apiKey?: string;
    allowAnonymous: boolean;
  };
  storage: {
    backend: StorageBackend;
    /** Set exactly when `backend` is `postgres`. */
    postgres?: PostgresConfig;
    sqlitePath: string;
    /**
     * True when MCP_MEMORY_SQLITE_PATH (or --db) names the file; false for the default under
     * MCP_MEMORY_BASE_DIR, Engram's own folder, which it creates.
     */
    sqlitePathGiven: boolean;
    pragmas: Record<string, string>;
    /**
     * Encrypts the database and its backups (ENGRAM_DB_ENCRYPTION_KEY or ENGRAM_DB_ENCRYPTION_KEY_FILE):
     * 64 hex digits are a raw 256-bit key, anything else a passphrase. Never logged.
     */
    encryptionKey?: string;
    /** Vector candidates on SQLite above the exact-scan size (ENGRAM_VECTOR_INDEX), see readVectorIndex. */
    vectorIndex: VectorIndexMode;
  };
  embedding: EmbeddingConfig;
  search: SearchConfig;
  rerank: RerankConfig;
  limits: LimitsConfig;
  /**
   * Base URL users and connectors reach this server at (ENGRAM_PUBLIC_URL, e.g. the ingress URL);
   * links to memories are built from it. Defaults to the local listen address.
   */
  publicUrl: string;
  mcp: McpConfig;
  oauth: OAuthConfig;
  /**
   * Redis for jobs and cross-process events (REDIS_URL); absent in the embedded mode. Every key, channel
   * and queue goes under `prefix` (ENGRAM_REDIS_PREFIX); absent: derived from the store's own id.
   */
  redis: { url?: string; prefix?: string };
  /** The agent's markdown memory directory (MEMORY_DIR); backed up and restored with the database. */
  memoryDir: string;
  /** Files and folders one namespace's markdown memory may hold (ENGRAM_MEMORY_MAX_ENTRIES), wherever it lives. */
  memoryMaxEntries: number;
  /** The memory agent: model endpoint, loop budgets, redaction (agent/). */
  agent: AgentConfig;
  /** Where model-written code runs (sandbox/). */
  sandbox: SandboxConfig;
  backups: BackupConfig;
  /** Imports of exports and documents (imports/). */
  imports: ImportConfig;
  /** `suggest`: a stored memory is checked against its neighbours and the answer lists possible conflicts. */
  conflicts: { onWrite: 'off' | 'suggest'; judge?: ConflictJudgeConfig };
  /**
   * Consolidation runs (consolidation/): memories at least this similar (cosine) are proposed for merging
   * (ENGRAM_CONSOLIDATION_SIMILARITY), and memories older than `staleDays` never retrieved, fetched or
   * rated for archiving (ENGRAM_CONSOLIDATION_STALE_DAYS). Runs only when asked: nothing is scheduled.
   */
  consolidation: { similarity: number; staleDays: number };
  /** The job worker process (`engram worker`): health and metrics on this port. */
  worker: { httpPort: number };
  /** Jobs that may wait in the queue at once (ENGRAM_JOBS_MAX_WAITING); more are refused with 429. */
  jobs: JobsConfig;
  events: EventsConfig;
  metrics: { public: boolean };
  health: { minFreeDiskBytes: number };
  log: {
    level: LogLevel;
    /** The level access lines (one per request) are written at; `off` writes none. */
    accessLevel: AccessLogLevel;
  };
  tracing: TracingConfig;
  /** The audit log of security-relevant actions (audit/). */
  audit: { retentionDays: number };
}

export interface BackupConfig {
  /** Folder holding backups (MCP_MEMORY_BACKUPS_PATH). */
  path: string;
  /**
   * Backups older than this many days are pruned (MCP_BACKUP_RETENTION), but for the newest manual or
   * scheduled one; 0 keeps them regardless of age.
   */
  retentionDays: number;
  /** Manual and scheduled backups kept, newest first, and as many pre-restore ones (MCP_BACKUP_MAX_COUNT). */
  maxCount: number;
  /** Cron expression of scheduled backups (MCP_BACKUP_SCHEDULE); absent: on demand only. */
  schedule?: string;
}

export interface ImportConfig {
  /** The only server-side folder `POST /api/import` may name a path in (ENGRAM_IMPORT_DIR); absent: uploads only. */
  allowedDir?: string;
  /** Where uploads wait for their job; on the data volume, so the worker sees them too. */
  uploadDir: string;
  /** Largest upload accepted (413 above it). */
  maxUploadBytes: number;
  /** Most bytes one import may unpack from archives, all entries together (zip bombs stop here). */
  maxUnpackedBytes: number;
  /** Most entries an archive or folder may hold. */
  maxEntries: number;
  /** Target size of one chunk of a document, in characters. */
  chunkChars: number;
  /** Characters repeated from the end of one chunk at the start of the next. */
  chunkOverlapChars: number;
  /**
   * Longest a reading pass may work without handing anything over (opening the input, or the next
   * batch); past it the pass is stopped and the import refused (ENGRAM_IMPORT_READ_TIMEOUT_SECONDS).
   */
  readTimeoutMs: number;
}

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type AccessLogLevel = 'off' | 'debug' | 'info';

/** Nest injection token for the AppConfig object. */
export const APP_CONFIG = Symbol('APP_CONFIG');

/** ENGRAM_MEMORY_MAX_ENTRIES when unset; also the limit of stores built without the config (tests, tools). */
export const DEFAULT_MEMORY_MAX_ENTRIES = 10_000;
