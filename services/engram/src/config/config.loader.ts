import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { CronExpressionParser } from 'cron-parser';
import {
  AppConfig,
  BackupConfig,
  EmbeddingConfig,
  ImportConfig,
  JobsConfig,
  EmbeddingProviderName,
  HttpTimeouts,
  HybridFusionMethod,
  OAuthConfig,
  LogLevel,
  RerankConfig,
  SearchConfig,
  PostgresConfig,
  StorageBackend,
  VectorIndexMode,
  DEFAULT_MEMORY_MAX_ENTRIES,
} from './config.types';
import { readAgentConfig, readSandboxConfig } from './agent-config.reader';
import { readConflictJudgeConfig } from './conflict-judge-config.reader';
import { readEventsConfig } from './events-config.reader';
import { EnvReader } from './env-reader';
import { parseEnvFile } from './env-file';
import { parseCidr, parseCidrList } from './cidr-list';
import { readPostgresConfig } from './postgres-config.reader';
import { parseSqlitePragmas } from './sqlite-pragmas';
import { DEFAULT_RELEVANCE_WEIGHTS, parseRelevanceWeights, RelevanceWeights } from './relevance-model';
import { readTracingConfig } from './tracing-config.reader';

/** Start-up stops with these lines, one per problem, each naming the variable and what it accepts. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((line) => `  - ${line}`).join('\n')}`);
  }
}

/** Command-line flags and the variable each one sets; flags win over the environment. */
const CLI_FLAGS: Record<string, string> = {
  '--host': 'MCP_HTTP_HOST',
  '--port': 'MCP_HTTP_PORT',
  '--db': 'MCP_MEMORY_SQLITE_PATH',
  '--embedding-provider': 'ENGRAM_EMBEDDING_PROVIDER',
  '--log-level': 'LOG_LEVEL',
};

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '::1']);
const EMBEDDING_PROVIDERS: readonly EmbeddingProviderName[] = ['local', 'onnx', 'openai'];
const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];
const FUSION_METHODS: readonly HybridFusionMethod[] = ['calibrated', 'weighted_average', 'rrf'];
const MIB = 1024 * 1024;
/**
 * Default relevance floor of MCP searches and the dashboard: drops what the relevance model gives less
 * than a 1% chance of being relevant, where memories unrelated to the query land, at a cost of about
 * 0.01 in LoCoMo R@5 (docs/retrieval.md).
 */
const DEFAULT_MIN_SCORE = 0.01;

export interface ConfigSources {
  env: Readonly<Record<string, string | undefined>>;
  argv?: readonly string[];
  cwd?: string;
}

/** Precedence: CLI flags > environment > `.env` file (ENGRAM_ENV_FILE or ./.env) > defaults. */
export function loadConfig({ env, argv = [], cwd = process.cwd() }: ConfigSources): AppConfig {
  const problems: string[] = [];
  const flags = parseFlags(argv, problems);
  const envFile = flags['--env-file'] ?? env.ENGRAM_ENV_FILE ?? join(cwd, '.env');
  // Who named the file, so a problem with it names the flag or variable to fix; ./.env is optional.
  const namedBy = '--env-file' in flags ? '--env-file' : env.ENGRAM_ENV_FILE ? 'ENGRAM_ENV_FILE' : undefined;
  const fileVars = readEnvFile(resolve(cwd, envFile), problems, namedBy);
  const cliVars = Object.fromEntries(
    Object.entries(flags)
      .filter(([flag]) => CLI_FLAGS[flag])
      .map(([flag, value]) => [CLI_FLAGS[flag], value]),
  );
  const reader = new EnvReader({ ...fileVars, ...env, ...cliVars }, cwd);
  const config = buildConfig(reader, cwd);
  problems.push(...reader.errors);
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

/** Loads the configuration, or prints every problem (one per line) to stderr and returns undefined. */
export function loadConfigOrReport(argv: readonly string[]): AppConfig | undefined {
  try {
    return loadConfig({ env: process.env, argv });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    return undefined;
  }
}

function buildConfig(read: EnvReader, cwd: string): AppConfig {
  const host = read.string('MCP_HTTP_HOST', '127.0.0.1');
  const port = read.integer('MCP_HTTP_PORT', 8000, 0, 65535);
  const apiKey = read.raw('MCP_API_KEY');
  if (apiKey !== undefined && apiKey.length < 16) {
    read.errors.push('MCP_API_KEY is too short; use at least 16 characters (e.g. `openssl rand -base64 32`)');
  }
  const { backend, postgres } = readStorageBackend(read);
  const agent = readAgentConfig(read);
  const baseDir = read.raw('MCP_MEMORY_BASE_DIR') ?? 'data';
  const givenSqlitePath = read.raw('MCP_MEMORY_SQLITE_PATH', 'MCP_MEMORY_SQLITEVEC_PATH');
  const sqlitePath = givenSqlitePath ?? join(baseDir, 'engram.db');
  const { pragmas, errors: pragmaErrors } = parseSqlitePragmas(
    read.raw('MCP_MEMORY_SQLITE_PRAGMAS'),
    'MCP_MEMORY_SQLITE_PRAGMAS',
  );
  read.errors.push(...pragmaErrors);
  const encryptionKey = readEncryptionKey(read, backend);

  return {
    http: {
      host,
      port,
      corsOrigins: readCorsOrigins(read, port),
      trustedProxies: parseCidrList(read.raw('ENGRAM_TRUSTED_PROXIES'), 'ENGRAM_TRUSTED_PROXIES', read.errors),
      timeouts: readHttpTimeouts(read),
    },
    auth: { apiKey, allowAnonymous: read.boolean('MCP_ALLOW_ANONYMOUS_ACCESS', false) },
    storage: {
      backend,
      postgres,
      sqlitePath: sqlitePath === ':memory:' ? sqlitePath : absolute(sqlitePath, cwd),
      sqlitePathGiven: givenSqlitePath !== undefined,
      pragmas,
      encryptionKey,
      vectorIndex: readVectorIndex(read, backend, encryptionKey),
    },
    embedding: readEmbeddingConfig(read, cwd),
    search: readSearchConfig(read),
    rerank: readRerankConfig(read),
    limits: {
      maxContentBytes: read.integer('ENGRAM_MAX_CONTENT_BYTES', 64 * 1024, 1, 16 * MIB),
      maxMetadataBytes: read.integer('ENGRAM_MAX_METADATA_BYTES', 16 * 1024, 2, MIB),
      maxBodyBytes: read.integer('ENGRAM_MAX_BODY_BYTES', 16 * MIB, 1024, 256 * MIB),
      maxBatchItems: read.integer('ENGRAM_MAX_BATCH_ITEMS', 1000, 1, 100_000),
    },
    publicUrl: (read.url('ENGRAM_PUBLIC_URL') ?? `http://${urlHost(host)}:${port}`).replace(/\/+$/, ''),
    redis: { url: readRedisUrl(read), prefix: readRedisPrefix(read) },
    memoryDir: absolute(read.raw('MEMORY_DIR') ?? join(baseDir, 'memory'), cwd),
    memoryMaxEntries: read.integer('ENGRAM_MEMORY_MAX_ENTRIES', DEFAULT_MEMORY_MAX_ENTRIES, 1, 10_000_000),
    agent,
    sandbox: readSandboxConfig(read),
    backups: readBackupConfig(read, baseDir, cwd),
    imports: readImportConfig(read, baseDir, cwd),
    conflicts: {
      onWrite: read.oneOf('ENGRAM_CONFLICTS_ON_WRITE', ['off', 'suggest'] as const, 'off'),
      judge: readConflictJudgeConfig(read, agent),
    },
    consolidation: {
      similarity: read.decimal('ENGRAM_CONSOLIDATION_SIMILARITY', 0.92, 0.5, 1),
      staleDays: read.integer('ENGRAM_CONSOLIDATION_STALE_DAYS', 180, 1, 36_500),
    },
    worker: { httpPort: read.integer('WORKER_HTTP_PORT', 8001, 0, 65535) },
    jobs: readJobsConfig(read),
    events: readEventsConfig(read),
    oauth: readOAuthConfig(read),
    mcp: {
      legacyTools: read.oneOf('ENGRAM_MCP_LEGACY_TOOLS', ['listed', 'unlisted'] as const, 'listed'),
      streamsPerCredential: read.integer('ENGRAM_MCP_STREAMS_PER_CREDENTIAL', 4, 1, 1000),
    },
    metrics: { public: read.boolean('METRICS_PUBLIC', false) },
    health: { minFreeDiskBytes: read.integer('ENGRAM_MIN_FREE_DISK_BYTES', 100 * MIB, 0, Number.MAX_SAFE_INTEGER) },
    log: {
      level: read.oneOf('LOG_LEVEL', LOG_LEVELS, 'info'),
      accessLevel: read.oneOf('ENGRAM_ACCESS_LOG_LEVEL', ['off', 'debug', 'info'] as const, 'info'),
    },
    tracing: readTracingConfig(read),
    audit: { retentionDays: read.integer('ENGRAM_AUDIT_RETENTION_DAYS', 365, 0, 36_500) },
  };
}

/**
 * Hybrid fusion defaults: `calibrated`, the relevance model of config/relevance-model.ts, which beat the
 * normalised score fusion weighted 0.6 semantic / 0.4 keyword (still selectable, as is `rrf`) on the
 * LoCoMo conversations it was not fitted on (docs/retrieval.md).
 */
function readSearchConfig(read: EnvReader): SearchConfig {
  const config: SearchConfig = {
    fusionMethod: read.oneOf('MCP_HYBRID_FUSION_METHOD', FUSION_METHODS, 'calibrated'),
    relevanceWeights: readRelevanceWeights(read),
    minScore: read.decimal('ENGRAM_SEARCH_MIN_SCORE', DEFAULT_MIN_SCORE, 0, 1),
    semanticWeight: read.decimal('MCP_HYBRID_SEMANTIC_WEIGHT', 0.6, 0, 1),
    keywordWeight: read.decimal('MCP_HYBRID_KEYWORD_WEIGHT', 0.4, 0, 1),
    rrfK: read.integer('MCP_HYBRID_RRF_K', 60, 1, 1000),
    rrfConsensusBoost: read.decimal('MCP_HYBRID_RRF_CONSENSUS_BOOST', 0, 0, 1),
    timeZone: readTimeZone(read),
  };
  if (config.semanticWeight + config.keywordWeight === 0) {
    read.errors.push('MCP_HYBRID_SEMANTIC_WEIGHT and MCP_HYBRID_KEYWORD_WEIGHT cannot both be 0');
  }
  return config;
}

/**
 * The rerank stage, on when ENGRAM_RERANK_URL is set. The timeout is short: a search waits for the
 * reranker at most this long before answering with the first-stage order.
 */
function readRerankConfig(read: EnvReader): RerankConfig {
  return {
    url: read.url('ENGRAM_RERANK_URL'),
    api: read.oneOf('ENGRAM_RERANK_API', ['jina', 'tei'] as const, 'jina'),
    model: read.raw('ENGRAM_RERANK_MODEL'),
    apiKey: read.raw('ENGRAM_RERANK_API_KEY'),
    candidates: read.integer('ENGRAM_RERANK_CANDIDATES', 50, 1, 500),
    timeoutMs: read.integer('ENGRAM_RERANK_TIMEOUT_MS', 2000, 50, 60_000),
  };
}

/** ENGRAM_SEARCH_RELEVANCE_WEIGHTS: a JSON object replacing some of the fitted models, e.g. after a refit. */
function readRelevanceWeights(read: EnvReader): RelevanceWeights {
  const raw = read.raw('ENGRAM_SEARCH_RELEVANCE_WEIGHTS');
  if (raw === undefined) return DEFAULT_RELEVANCE_WEIGHTS;
  const problems: string[] = [];
  const weights = parseRelevanceWeights(raw, problems);
  read.errors.push(...problems.map((problem) => `ENGRAM_SEARCH_RELEVANCE_WEIGHTS: ${problem}`));
  return weights ?? DEFAULT_RELEVANCE_WEIGHTS;
}

function readEmbeddingConfig(read: EnvReader, cwd: string): EmbeddingConfig {
  const openaiBaseUrl = read.url('MCP_EXTERNAL_EMBEDDING_URL');
  if (openaiBaseUrl !== undefined && holdsCredentials(openaiBaseUrl)) {
    read.errors.push(
      'MCP_EXTERNAL_EMBEDDING_URL must not hold a user name or password; give the key with MCP_EXTERNAL_EMBEDDING_API_KEY',
    );
  }
  const provider = read.oneOf('ENGRAM_EMBEDDING_PROVIDER', EMBEDDING_PROVIDERS, openaiBaseUrl ? 'openai' : 'local');
  const onnxDir = read.raw('ENGRAM_ONNX_MODEL_DIR');
  const config: EmbeddingConfig = {
    provider,
    batchSize: read.integer('ENGRAM_EMBEDDING_BATCH_SIZE', 32, 1, 1024),
    localWorkers: read.integer('ENGRAM_EMBEDDING_WORKERS', 1, 1, 64),
    localPrecision: read.oneOf('ENGRAM_EMBEDDING_PRECISION', ['fp32', 'int8'] as const, 'int8'),
    requestTimeoutMs: read.integer('ENGRAM_EMBEDDING_TIMEOUT_MS', 30_000, 100, 600_000),
    onnxModelDir: onnxDir ? absolute(onnxDir, cwd) : undefined,
    openaiBaseUrl,
    openaiModel: read.raw('MCP_EXTERNAL_EMBEDDING_MODEL'),
    openaiApiKey: read.raw('MCP_EXTERNAL_EMBEDDING_API_KEY'),
    // Not trimmed: a prefix usually ends in a space or a newline the model was trained with.
    queryPrefix: read.verbatim('ENGRAM_EMBEDDING_QUERY_PREFIX') ?? '',
  };
  const dimension = read.raw('ENGRAM_EMBEDDING_DIMENSION');
  if (dimension !== undefined) config.openaiDimension = read.integer('ENGRAM_EMBEDDING_DIMENSION', 0, 1, 65536);
  if (provider === 'onnx' && !config.onnxModelDir) {
    read.errors.push('ENGRAM_ONNX_MODEL_DIR is required when ENGRAM_EMBEDDING_PROVIDER=onnx (a local model folder)');
  }
  if (provider === 'openai' && (!config.openaiBaseUrl || !config.openaiModel)) {
    read.errors.push(
      'MCP_EXTERNAL_EMBEDDING_URL and MCP_EXTERNAL_EMBEDDING_MODEL are required when ENGRAM_EMBEDDING_PROVIDER=openai',
    );
  }
  return config;
}

function holdsCredentials(url: string): boolean {
  const { username, password } = new URL(url);
  return username !== '' || password !== '';
}

function readCorsOrigins(read: EnvReader, port: number): string[] {
  const raw = read.raw('MCP_CORS_ORIGINS');
  if (raw === undefined) return [`http://localhost:${port}`, `http://127.0.0.1:${port}`];
  const origins = raw
    .split(',')
    .map((origin) => origin.trim().replace(/\/+$/, ''))
    .filter(Boolean);
  for (const origin of origins) {
    if (origin !== '*' && !/^https?:\/\/[^/\s]+$/.test(origin)) {
      read.errors.push(`MCP_CORS_ORIGINS: "${origin}" is not an origin; expected * or scheme://host[:port]`);
    }
  }
  return origins;
}

/**
 * Node's 60 s for the headers; no limit for the whole request by default (fastify's), since an upload of
 * ENGRAM_IMPORT_MAX_UPLOAD_BYTES may take longer than any fixed bound. A limit on the whole request shorter
 * than the one on its headers could never be met (Node refuses to start with it).
 */
function readHttpTimeouts(read: EnvReader): HttpTimeouts {
  const headersMs = read.integer('ENGRAM_HTTP_HEADERS_TIMEOUT_MS', 60_000, 1000, 600_000);
  const requestMs = read.integer('ENGRAM_HTTP_REQUEST_TIMEOUT_MS', 0, 0, 86_400_000);
  if (requestMs > 0 && requestMs < headersMs) {
    read.errors.push(
      `ENGRAM_HTTP_REQUEST_TIMEOUT_MS=${requestMs} is shorter than ENGRAM_HTTP_HEADERS_TIMEOUT_MS=${headersMs}, ` +
        'and the whole request includes its headers; raise it, or set 0 for no limit',
    );
  }
  return { headersMs, requestMs };
}

function readOAuthConfig(read: EnvReader): OAuthConfig {
  const config: OAuthConfig = {
    enabled: read.boolean('ENGRAM_OAUTH_ENABLED', false),
    password: read.raw('ENGRAM_OAUTH_PASSWORD'),
    registrationToken: read.raw('ENGRAM_OAUTH_REGISTRATION_TOKEN'),
    openRegistration: read.boolean('ENGRAM_OAUTH_OPEN_REGISTRATION', false),
    metadataDocuments: read.boolean('ENGRAM_OAUTH_METADATA_DOCUMENTS', true),
    metadataPrivateHosts: readPrivateHosts(read),
    accessTokenSeconds: read.integer('ENGRAM_OAUTH_ACCESS_TOKEN_SECONDS', 3600, 60, 86_400),
    refreshTokenDays: read.integer('ENGRAM_OAUTH_REFRESH_TOKEN_DAYS', 30, 1, 365),
    grantMaxDays: read.integer('ENGRAM_OAUTH_GRANT_MAX_DAYS', 90, 1, 3650),
  };
  if (config.openRegistration && config.registrationToken !== undefined) {
    read.errors.push(
      'ENGRAM_OAUTH_OPEN_REGISTRATION=true and ENGRAM_OAUTH_REGISTRATION_TOKEN contradict each other; set one',
    );
  }
  if (config.grantMaxDays < config.refreshTokenDays) {
    read.errors.push(
      `ENGRAM_OAUTH_GRANT_MAX_DAYS=${config.grantMaxDays} is shorter than ENGRAM_OAUTH_REFRESH_TOKEN_DAYS=${config.refreshTokenDays}; a refresh token cannot outlive its approval`,
    );
  }
  if (config.password !== undefined && config.password.length < 12) {
    read.errors.push('ENGRAM_OAUTH_PASSWORD is too short; use at least 12 characters');
  }
  if (config.enabled) {
    const publicUrl = read.raw('ENGRAM_PUBLIC_URL');
    if (publicUrl === undefined) {
      read.errors.push(
        'ENGRAM_OAUTH_ENABLED=true needs ENGRAM_PUBLIC_URL: the URL clients reach /mcp at (the token issuer)',
      );
    } else if (URL.canParse(publicUrl)) {
      const url = new URL(publicUrl);
      if (url.protocol !== 'https:' && !isLoopbackHost(url.hostname.replace(/^\[|\]$/g, ''))) {
        read.errors.push('ENGRAM_PUBLIC_URL must be https:// with OAuth on (tokens would cross the network in clear)');
      }
      if (url.pathname !== '/' || url.search !== '') {
        read.errors.push(
          'ENGRAM_PUBLIC_URL must be an origin without a path with OAuth on (discovery is served at the root)',
        );
      }
    }
    if (config.password === undefined && read.raw('MCP_API_KEY') === undefined) {
      read.errors.push(
        'ENGRAM_OAUTH_ENABLED=true needs ENGRAM_OAUTH_PASSWORD or MCP_API_KEY: the operator signs in with one to approve clients',
      );
    }
  }
  return config;
}

/** The database key, given inline or (better: it stays out of the environment) as a file such as a Secret. */
/** The storage backend, and for PostgreSQL its connection settings (all their problems reported at once). */
function readStorageBackend(read: EnvReader): { backend: StorageBackend; postgres?: PostgresConfig } {
  const backend = read.oneOf('MCP_MEMORY_STORAGE_BACKEND', ['sqlite_vec', 'postgres'] as const, 'sqlite_vec');
  if (backend !== 'postgres') return { backend };
  return { backend, postgres: readPostgresConfig(read) };
}

/**
 * The SQLite store's vector candidates above the exact-scan size: an HNSW index saved beside the
 * database (`ann`, the default) or the 1-bit Hamming scan (`scan`). The index file holds the vectors
 * unencrypted, so an encrypted database scans, and asking for `ann` with a key is refused.
 */
function readVectorIndex(read: EnvReader, backend: StorageBackend, encryptionKey: string | undefined): VectorIndexMode {
  const asked = read.raw('ENGRAM_VECTOR_INDEX');
  const mode = read.oneOf(
    'ENGRAM_VECTOR_INDEX',
    ['ann', 'scan'] as const,
    encryptionKey === undefined ? 'ann' : 'scan',
  );
  if (asked === 'ann' && encryptionKey !== undefined && backend === 'sqlite_vec') {
    read.errors.push(
      'ENGRAM_VECTOR_INDEX=ann keeps the vectors unencrypted beside the database: with ENGRAM_DB_ENCRYPTION_KEY ' +
        'leave it unset or set it to scan',
    );
  }
  return mode;
}

function readEncryptionKey(read: EnvReader, backend: StorageBackend): string | undefined {
  const inline = read.raw('ENGRAM_DB_ENCRYPTION_KEY');
  const file = read.raw('ENGRAM_DB_ENCRYPTION_KEY_FILE');
  if (backend === 'postgres' && (inline !== undefined || file !== undefined)) {
    read.errors.push(
      'ENGRAM_DB_ENCRYPTION_KEY encrypts the SQLite file; with MCP_MEMORY_STORAGE_BACKEND=postgres encrypt at the ' +
        "server (its volume or the cloud provider's encryption at rest) and connect with sslmode=verify-full",
    );
    return undefined;
  }
  const { value: key } = read.secret('ENGRAM_DB_ENCRYPTION_KEY');
  if (key !== undefined && key.length < 16) {
    // Named as set (inline or as a file) so the operator knows which to fix; never the key itself.
    const name = file === undefined ? 'ENGRAM_DB_ENCRYPTION_KEY' : `The key in ENGRAM_DB_ENCRYPTION_KEY_FILE=${file}`;
    read.errors.push(
      `${name} is too short; use at least 16 characters, or 64 hex digits for a raw key (\`openssl rand -hex 32\`)`,
    );
    return undefined;
  }
  return key;
}

/** Hostnames, addresses or CIDR ranges (`intranet.example.com, 10.1.0.0/16`), each checked for shape. */
function readPrivateHosts(read: EnvReader): string[] {
  const name = 'ENGRAM_OAUTH_METADATA_PRIVATE_HOSTS';
  const entries = (read.raw('ENGRAM_OAUTH_METADATA_PRIVATE_HOSTS') ?? '')
    .split(',')
    .map((entry) => entry.trim().toLowerCase())
    .filter(Boolean);
  for (const entry of entries) {
    if (!isHostOrRange(entry)) {
      read.errors.push(`${name}: "${entry}" is not a host name, an IP address or a CIDR range (e.g. 10.1.0.0/16)`);
    }
  }
  return entries;
}

const HOST_NAME = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/;

function isHostOrRange(entry: string): boolean {
  return parseCidr(entry) !== undefined || HOST_NAME.test(entry);
}

function readRedisUrl(read: EnvReader): string | undefined {
  const raw = read.raw('REDIS_URL');
  if (raw === undefined || raw === '') return undefined;
  if (!/^rediss?:\/\/[^\s]+$/.test(raw)) {
    read.errors.push('REDIS_URL must look like redis://[user:password@]host:port[/db] (or rediss:// for TLS)');
    return undefined;
  }
  return raw;
}

/** Letters, digits and `_ . - :` plus `{}` for a Redis Cluster hash tag; not ending in the `:` we add. */
const REDIS_PREFIX = /^[A-Za-z0-9{][A-Za-z0-9_.:{}-]{0,62}[A-Za-z0-9_.{}-]$|^[A-Za-z0-9]$/;

function readRedisPrefix(read: EnvReader): string | undefined {
  const prefix = read.raw('ENGRAM_REDIS_PREFIX');
  if (prefix === undefined || REDIS_PREFIX.test(prefix)) return prefix;
  read.errors.push(
    `ENGRAM_REDIS_PREFIX=${prefix} is not accepted; expected 1-64 letters, digits, _ . - : or {} (e.g. engram-prod), not ending in ":"`,
  );
  return undefined;
}

/** MCP Memory Service's interval names, as cron expressions (03:00 for daily and weekly). */
const BACKUP_INTERVALS: Record<string, string> = { hourly: '0 * * * *', daily: '0 3 * * *', weekly: '0 3 * * 0' };

/**
 * Backups are on demand unless MCP_BACKUP_SCHEDULE (cron) or MCP_BACKUP_INTERVAL (hourly, daily,
 * weekly) is set; MCP_BACKUP_ENABLED=false turns the schedule off.
 */
function readBackupConfig(read: EnvReader, baseDir: string, cwd: string): BackupConfig {
  const interval = read.oneOf('MCP_BACKUP_INTERVAL', ['hourly', 'daily', 'weekly'] as const, 'daily');
  const schedule =
    read.raw('MCP_BACKUP_SCHEDULE') ?? (read.raw('MCP_BACKUP_INTERVAL') ? BACKUP_INTERVALS[interval] : undefined);
  if (schedule !== undefined) {
    try {
      CronExpressionParser.parse(schedule);
    } catch (error) {
      read.errors.push(
        `MCP_BACKUP_SCHEDULE=${schedule} is not a cron expression (${(error as Error).message}); e.g. "0 3 * * *"`,
      );
    }
  }
  return {
    path: absolute(read.raw('MCP_MEMORY_BACKUPS_PATH') ?? join(baseDir, 'backups'), cwd),
    retentionDays: read.integer('MCP_BACKUP_RETENTION', 7, 0, 36_500),
    maxCount: read.integer('MCP_BACKUP_MAX_COUNT', 10, 1, 10_000),
    schedule: read.boolean('MCP_BACKUP_ENABLED', true) ? schedule : undefined,
  };
}

/** Imports: uploads and path imports, with the limits that keep hostile archives and huge files in check. */
function readImportConfig(read: EnvReader, baseDir: string, cwd: string): ImportConfig {
  const allowedDir = read.raw('ENGRAM_IMPORT_DIR');
  const config: ImportConfig = {
    allowedDir: allowedDir === undefined ? undefined : absolute(allowedDir, cwd),
    uploadDir: absolute(join(baseDir, 'import-uploads'), cwd),
    maxUploadBytes: read.integer('ENGRAM_IMPORT_MAX_UPLOAD_BYTES', 1024 * MIB, 1024, 64 * 1024 * MIB),
    maxUnpackedBytes: read.integer('ENGRAM_IMPORT_MAX_UNPACKED_BYTES', 4096 * MIB, 1024, 256 * 1024 * MIB),
    maxEntries: read.integer('ENGRAM_IMPORT_MAX_ENTRIES', 100_000, 1, 10_000_000),
    chunkChars: read.integer('ENGRAM_IMPORT_CHUNK_CHARS', 2000, 200, 60_000),
    chunkOverlapChars: read.integer('ENGRAM_IMPORT_CHUNK_OVERLAP', 200, 0, 10_000),
    readTimeoutMs: read.integer('ENGRAM_IMPORT_READ_TIMEOUT_SECONDS', 300, 1, 86_400) * 1000,
  };
  if (config.chunkOverlapChars * 2 > config.chunkChars) {
    read.errors.push('ENGRAM_IMPORT_CHUNK_OVERLAP must be at most half of ENGRAM_IMPORT_CHUNK_CHARS');
  }
  return config;
}

/** A listen host as it appears in a URL: the wildcard becomes localhost, IPv6 gets brackets. */
function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '::') return 'localhost';
  return host.includes(':') ? `[${host}]` : host;
}

function readTimeZone(read: EnvReader): string {
  const fallback = Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  const zone = read.string('ENGRAM_TIMEZONE', read.raw('TZ') ?? fallback);
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return zone;
  } catch {
    read.errors.push(`ENGRAM_TIMEZONE=${zone} is not an IANA time zone (e.g. UTC, Europe/Paris)`);
    return 'UTC';
  }
}

function parseFlags(argv: readonly string[], problems: string[]): Record<string, string> {
  const flags: Record<string, string> = {};
  const known = [...Object.keys(CLI_FLAGS), '--env-file'];
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split(/=(.*)/s, 2);
    if (!known.includes(flag)) {
      problems.push(`unknown command-line option ${flag}; accepted: ${known.join(', ')}`);
      continue;
    }
    const value = inline ?? argv[++i];
    if (value === undefined) problems.push(`command-line option ${flag} needs a value`);
    else flags[flag] = value;
  }
  return flags;
}

function readEnvFile(path: string, problems: string[], namedBy: string | undefined): Record<string, string> {
  const what = namedBy ? `${namedBy}: env file ${path}` : `env file ${path}`;
  if (!existsSync(path)) {
    if (namedBy) problems.push(`${what} does not exist`);
    return {};
  }
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    problems.push(`${what} cannot be read: ${(error as Error).message}`);
    return {};
  }
  const contents = parseEnvFile(text);
  problems.push(...contents.problems.map((problem) => `${what} ${problem}`));
  return contents.values;
}

function absolute(path: string, cwd: string): string {
  return isAbsolute(path) ? path : resolve(cwd, path);
}

/** True when the configured host is reachable only from this machine. */
export function isLoopbackHost(host: string): boolean {
  return LOOPBACK_HOSTS.has(host) || host.startsWith('127.');
}

/** A namespace's share of the waiting jobs: a quarter by default, never more than all of them. */
function readJobsConfig(read: EnvReader): JobsConfig {
  const maxWaiting = read.integer('ENGRAM_JOBS_MAX_WAITING', 100, 1, 100_000);
  const share = Math.max(1, Math.floor(maxWaiting / 4));
  return {
    maxWaiting,
    maxWaitingPerNamespace: read.integer('ENGRAM_JOBS_MAX_WAITING_PER_NAMESPACE', share, 1, maxWaiting),
    keepFinishedPerNamespace: read.integer('ENGRAM_JOBS_KEEP_FINISHED', 200, 1, 10_000),
  };
}
