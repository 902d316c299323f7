import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { decideBindAddress } from '../process/bind-address';
import { ConfigError, loadConfig } from './config.loader';
import { EnvReader } from './env-reader';
import { readPostgresConfig } from './postgres-config.reader';
import { DEFAULT_RELEVANCE_WEIGHTS } from './relevance-model';

describe('configuration', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'engram-config-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const problemsOf = (env: Record<string, string>, argv: string[] = []): string[] => {
    try {
      loadConfig({ env, argv, cwd: dir });
    } catch (error) {
      assert.ok(error instanceof ConfigError);
      return error.problems;
    }
    return [];
  };

  it('runs on embedded defaults with no environment at all', () => {
    const config = loadConfig({ env: {}, cwd: dir });
    assert.equal(config.http.host, '127.0.0.1');
    assert.equal(config.http.port, 8000);
    assert.equal(config.storage.sqlitePath, join(dir, 'data', 'engram.db'));
    assert.equal(config.storage.backend, 'sqlite_vec');
    assert.equal(config.storage.pragmas.journal_mode, 'WAL');
    assert.equal(config.embedding.provider, 'local');
    assert.equal(config.auth.apiKey, undefined);
    assert.deepEqual(config.http.corsOrigins, ['http://localhost:8000', 'http://127.0.0.1:8000']);
  });

  it('reads the hybrid fusion settings, and names each bad one', () => {
    const defaults = loadConfig({ env: {}, cwd: dir }).search;
    assert.equal(defaults.fusionMethod, 'calibrated');
    assert.equal(defaults.semanticWeight, 0.6);
    assert.equal(defaults.keywordWeight, 0.4);
    const rrf = loadConfig({
      env: { MCP_HYBRID_FUSION_METHOD: 'RRF', MCP_HYBRID_KEYWORD_WEIGHT: '0.25', MCP_HYBRID_RRF_CONSENSUS_BOOST: '.1' },
      cwd: dir,
    }).search;
    assert.equal(rrf.fusionMethod, 'rrf');
    assert.equal(rrf.keywordWeight, 0.25);
    assert.equal(rrf.rrfConsensusBoost, 0.1);
    const problems = problemsOf({
      MCP_HYBRID_FUSION_METHOD: 'max',
      MCP_HYBRID_SEMANTIC_WEIGHT: '1.5',
      MCP_HYBRID_KEYWORD_WEIGHT: '-1',
    });
    assert.equal(problems.length, 3);
    assert.match(problems.join('\n'), /MCP_HYBRID_FUSION_METHOD=max/);
    assert.match(problems.join('\n'), /MCP_HYBRID_SEMANTIC_WEIGHT=1.5 .* from 0 to 1/);
    assert.deepEqual(problemsOf({ MCP_HYBRID_SEMANTIC_WEIGHT: '0', MCP_HYBRID_KEYWORD_WEIGHT: '0' }), [
      'MCP_HYBRID_SEMANTIC_WEIGHT and MCP_HYBRID_KEYWORD_WEIGHT cannot both be 0',
    ]);
  });

  it('reads the relevance floor and replacement relevance weights, and names each bad one', () => {
    const defaults = loadConfig({ env: {}, cwd: dir }).search;
    assert.equal(defaults.minScore, 0.01);
    assert.deepEqual(defaults.relevanceWeights, DEFAULT_RELEVANCE_WEIGHTS);
    const custom = loadConfig({
      env: { ENGRAM_SEARCH_MIN_SCORE: '0.2', ENGRAM_SEARCH_RELEVANCE_WEIGHTS: '{"semantic":{"bias":-1,"semantic":2}}' },
      cwd: dir,
    }).search;
    assert.equal(custom.minScore, 0.2);
    assert.deepEqual(custom.relevanceWeights.semantic, { bias: -1, semantic: 2 });
    const problems = problemsOf({ ENGRAM_SEARCH_MIN_SCORE: '1.5', ENGRAM_SEARCH_RELEVANCE_WEIGHTS: '{"hybrid":{}}' });
    assert.deepEqual(problems.sort(), [
      'ENGRAM_SEARCH_MIN_SCORE=1.5 is not accepted; expected a number from 0 to 1',
      'ENGRAM_SEARCH_RELEVANCE_WEIGHTS: hybrid.bias is required',
    ]);
  });

  it('turns the rerank stage on with ENGRAM_RERANK_URL, and names each bad rerank setting', () => {
    assert.equal(loadConfig({ env: {}, cwd: dir }).rerank.url, undefined);
    const rerank = loadConfig({
      env: {
        ENGRAM_RERANK_URL: 'http://reranker:8000/v1/',
        ENGRAM_RERANK_MODEL: 'Qwen/Qwen3-Reranker-0.6B',
        ENGRAM_RERANK_API_KEY: 'secret',
        ENGRAM_RERANK_API: 'TEI',
      },
      cwd: dir,
    }).rerank;
    assert.deepEqual(rerank, {
      url: 'http://reranker:8000/v1',
      api: 'tei',
      model: 'Qwen/Qwen3-Reranker-0.6B',
      apiKey: 'secret',
      candidates: 50,
      timeoutMs: 2000,
    });
    const problems = problemsOf({
      ENGRAM_RERANK_URL: 'reranker:8000',
      ENGRAM_RERANK_API: 'cohere',
      ENGRAM_RERANK_CANDIDATES: '0',
      ENGRAM_RERANK_TIMEOUT_MS: 'soon',
    });
    assert.equal(problems.length, 4);
    assert.match(problems.join('\n'), /ENGRAM_RERANK_URL=reranker:8000 .* http/);
    assert.match(problems.join('\n'), /ENGRAM_RERANK_API=cohere .* jina, tei/);
    assert.match(problems.join('\n'), /ENGRAM_RERANK_CANDIDATES=0 .* from 1 to 500/);
    assert.match(problems.join('\n'), /ENGRAM_RERANK_TIMEOUT_MS=soon/);
  });

  it('reads .env below the environment, and command-line flags above both', () => {
    writeFileSync(
      join(dir, '.env'),
      'MCP_HTTP_PORT=9001\nMCP_HTTP_HOST=0.0.0.0\nMCP_API_KEY="key-from-dotenv-file-123"\n',
    );
    const fromFile = loadConfig({ env: {}, cwd: dir });
    assert.equal(fromFile.http.port, 9001);
    assert.equal(fromFile.auth.apiKey, 'key-from-dotenv-file-123');
    const envWins = loadConfig({ env: { MCP_HTTP_PORT: '9002' }, cwd: dir });
    assert.equal(envWins.http.port, 9002);
    assert.equal(envWins.http.host, '0.0.0.0');
    const flagWins = loadConfig({
      env: { MCP_HTTP_PORT: '9002' },
      argv: ['--port', '9003', '--host=127.0.0.2'],
      cwd: dir,
    });
    assert.equal(flagWins.http.port, 9003);
    assert.equal(flagWins.http.host, '127.0.0.2');
    rmSync(join(dir, '.env'));
  });

  it('names the flag or variable that named a missing env file, and asks nothing of a missing ./.env', () => {
    const missing = join(dir, 'absent.env');
    assert.deepEqual(problemsOf({ ENGRAM_ENV_FILE: missing }), [`ENGRAM_ENV_FILE: env file ${missing} does not exist`]);
    assert.deepEqual(problemsOf({ ENGRAM_ENV_FILE: join(dir, 'other.env') }, ['--env-file', missing]), [
      `--env-file: env file ${missing} does not exist`,
    ]);
    assert.deepEqual(problemsOf({}), []);
  });

  it('refuses an env file with a line that is not NAME=value, naming the file and the line', () => {
    const file = join(dir, 'broken.env');
    writeFileSync(file, 'MCP_HTTP_PORT=9001\nstray words\nMCP_API_KEY=key-from-dotenv-file-123\n');
    assert.deepEqual(problemsOf({ ENGRAM_ENV_FILE: file }), [
      `ENGRAM_ENV_FILE: env file ${file} line 2 is not NAME=value (a name of letters, digits and _, then =)`,
    ]);
    rmSync(file);
  });

  it('reports every invalid setting at once, one line each, naming the variable and accepted values', () => {
    const problems = problemsOf({
      MCP_HTTP_PORT: '80000',
      MCP_MEMORY_STORAGE_BACKEND: 'cloudflare',
      MCP_ALLOW_ANONYMOUS_ACCESS: 'maybe',
      ENGRAM_EMBEDDING_PROVIDER: 'magic',
      MCP_API_KEY: 'short',
      MCP_CORS_ORIGINS: 'not-an-origin',
      ENGRAM_TIMEZONE: 'Mars/Olympus',
      LOG_LEVEL: 'loud',
    });
    assert.equal(problems.length, 8, problems.join('\n'));
    const expectations: [RegExp, RegExp][] = [
      [/^MCP_HTTP_PORT=80000/, /0 to 65535/],
      [/^MCP_MEMORY_STORAGE_BACKEND=cloudflare/, /accepted values: sqlite_vec/],
      [/^MCP_ALLOW_ANONYMOUS_ACCESS=maybe/, /true or false/],
      [/^ENGRAM_EMBEDDING_PROVIDER=magic/, /local, onnx, openai/],
      [/^MCP_API_KEY/, /16 characters/],
      [/^MCP_CORS_ORIGINS/, /scheme:\/\/host/],
      [/^ENGRAM_TIMEZONE=Mars\/Olympus/, /IANA/],
      [/^LOG_LEVEL=loud/, /debug, info, warn, error/],
    ];
    for (const [start, accepted] of expectations) {
      const line = problems.find((problem) => start.test(problem));
      assert.ok(line, `no problem line matching ${start}`);
      assert.match(line, accepted);
    }
  });

  it('requires what each embedding provider needs', () => {
    assert.match(problemsOf({ ENGRAM_EMBEDDING_PROVIDER: 'onnx' }).join(), /ENGRAM_ONNX_MODEL_DIR is required/);
    assert.match(problemsOf({ ENGRAM_EMBEDDING_PROVIDER: 'openai' }).join(), /MCP_EXTERNAL_EMBEDDING_URL/);
    assert.match(problemsOf({ MCP_EXTERNAL_EMBEDDING_URL: 'ftp://x' }).join(), /http:\/\/ or https:\/\//);
    // fetch refuses a URL with credentials and repeats it, password and all, in its error.
    const withPassword = {
      MCP_EXTERNAL_EMBEDDING_URL: 'http://bob:PW-s3cret@127.0.0.1:9/v1',
      MCP_EXTERNAL_EMBEDDING_MODEL: 'm',
    };
    assert.deepEqual(problemsOf(withPassword), [
      'MCP_EXTERNAL_EMBEDDING_URL must not hold a user name or password; give the key with MCP_EXTERNAL_EMBEDDING_API_KEY',
    ]);
    assert.deepEqual(problemsOf({ MCP_EXTERNAL_EMBEDDING_URL: 'http://bob:PW-s3cret@127.0.0.1:port/v1' }), [
      'MCP_EXTERNAL_EMBEDDING_URL=http://…@127.0.0.1:port/v1 is not accepted; expected an http:// or https:// URL',
    ]);
    const openai = loadConfig({
      env: { MCP_EXTERNAL_EMBEDDING_URL: 'http://127.0.0.1:9/v1/', MCP_EXTERNAL_EMBEDDING_MODEL: 'm' },
      cwd: dir,
    });
    assert.equal(openai.embedding.provider, 'openai');
    assert.equal(openai.embedding.openaiBaseUrl, 'http://127.0.0.1:9/v1');
  });

  it('runs the local model in int8 unless ENGRAM_EMBEDDING_PRECISION says fp32, and names a bad value', () => {
    assert.equal(loadConfig({ env: {}, cwd: dir }).embedding.localPrecision, 'int8');
    const fp32 = loadConfig({ env: { ENGRAM_EMBEDDING_PRECISION: 'fp32' }, cwd: dir });
    assert.equal(fp32.embedding.localPrecision, 'fp32');
    assert.match(
      problemsOf({ ENGRAM_EMBEDDING_PRECISION: 'fp16' }).join(),
      /ENGRAM_EMBEDDING_PRECISION=fp16.*fp32, int8/,
    );
  });

  it('refuses unknown command-line options and missing values', () => {
    assert.match(problemsOf({}, ['--prot', '1']).join(), /unknown command-line option --prot/);
    assert.match(problemsOf({}, ['--port']).join(), /--port needs a value/);
  });

  it('accepts the legacy database path alias and a base directory', () => {
    assert.equal(
      loadConfig({ env: { MCP_MEMORY_SQLITEVEC_PATH: '/tmp/x.db' }, cwd: dir }).storage.sqlitePath,
      '/tmp/x.db',
    );
    assert.equal(
      loadConfig({ env: { MCP_MEMORY_BASE_DIR: '/srv/engram' }, cwd: dir }).storage.sqlitePath,
      '/srv/engram/engram.db',
    );
  });

  it('keeps backups on demand in ./data/backups by default, and reads their schedule and retention', () => {
    const defaults = loadConfig({ env: {}, cwd: dir });
    assert.deepEqual(defaults.backups, {
      path: join(dir, 'data', 'backups'),
      retentionDays: 7,
      maxCount: 10,
      schedule: undefined,
    });
    assert.equal(defaults.memoryDir, join(dir, 'data', 'memory'));
    assert.equal(defaults.worker.httpPort, 8001);
    const scheduled = loadConfig({
      env: {
        MCP_BACKUP_SCHEDULE: '*/15 * * * *',
        MCP_BACKUP_RETENTION: '30',
        MCP_BACKUP_MAX_COUNT: '3',
        MCP_MEMORY_BACKUPS_PATH: '/srv/b',
      },
      cwd: dir,
    }).backups;
    assert.deepEqual(scheduled, { path: '/srv/b', retentionDays: 30, maxCount: 3, schedule: '*/15 * * * *' });
    assert.equal(loadConfig({ env: { MCP_BACKUP_INTERVAL: 'hourly' }, cwd: dir }).backups.schedule, '0 * * * *');
    const off = { MCP_BACKUP_SCHEDULE: '0 3 * * *', MCP_BACKUP_ENABLED: 'false' };
    assert.equal(loadConfig({ env: off, cwd: dir }).backups.schedule, undefined);
    assert.match(
      problemsOf({ MCP_BACKUP_SCHEDULE: 'every day' }).join(),
      /MCP_BACKUP_SCHEDULE=every day is not a cron expression/,
    );
    assert.match(problemsOf({ MCP_BACKUP_MAX_COUNT: '0' }).join(), /MCP_BACKUP_MAX_COUNT=0 is not accepted/);
  });

  it('caps a memory at 10,000 files and folders unless ENGRAM_MEMORY_MAX_ENTRIES says otherwise', () => {
    assert.equal(loadConfig({ env: {}, cwd: dir }).memoryMaxEntries, 10_000);
    assert.equal(loadConfig({ env: { ENGRAM_MEMORY_MAX_ENTRIES: '250000' }, cwd: dir }).memoryMaxEntries, 250_000);
    assert.match(problemsOf({ ENGRAM_MEMORY_MAX_ENTRIES: '0' }).join(), /ENGRAM_MEMORY_MAX_ENTRIES=0 is not accepted/);
  });

  it('keeps path imports off unless ENGRAM_IMPORT_DIR is set, and reads the import limits and chunk sizes', () => {
    const defaults = loadConfig({ env: {}, cwd: dir }).imports;
    assert.equal(defaults.allowedDir, undefined);
    assert.equal(defaults.uploadDir, join(dir, 'data', 'import-uploads'));
    assert.deepEqual([defaults.chunkChars, defaults.chunkOverlapChars, defaults.readTimeoutMs], [2000, 200, 300_000]);
    const set = loadConfig({
      env: {
        ENGRAM_IMPORT_DIR: 'in',
        ENGRAM_IMPORT_MAX_UPLOAD_BYTES: '2048',
        ENGRAM_IMPORT_CHUNK_CHARS: '500',
        ENGRAM_IMPORT_READ_TIMEOUT_SECONDS: '20',
      },
      cwd: dir,
    }).imports;
    assert.deepEqual(
      [set.allowedDir, set.maxUploadBytes, set.chunkChars, set.readTimeoutMs],
      [join(dir, 'in'), 2048, 500, 20_000],
    );
    assert.match(
      problemsOf({ ENGRAM_IMPORT_CHUNK_CHARS: '300', ENGRAM_IMPORT_CHUNK_OVERLAP: '200' }).join(),
      /ENGRAM_IMPORT_CHUNK_OVERLAP must be at most half/,
    );
  });

  it('builds the public URL from the listen address unless ENGRAM_PUBLIC_URL is set, and checks REDIS_URL', () => {
    assert.equal(loadConfig({ env: {}, cwd: dir }).publicUrl, 'http://127.0.0.1:8000');
    assert.equal(
      loadConfig({ env: { MCP_HTTP_HOST: '0.0.0.0', MCP_HTTP_PORT: '9000', MCP_API_KEY: 'k'.repeat(20) }, cwd: dir })
        .publicUrl,
      'http://localhost:9000',
    );
    assert.equal(
      loadConfig({ env: { ENGRAM_PUBLIC_URL: 'https://memory.example.com/' }, cwd: dir }).publicUrl,
      'https://memory.example.com',
    );
    assert.equal(
      loadConfig({ env: { REDIS_URL: 'redis://:secret@redis:6379/2' }, cwd: dir }).redis.url,
      'redis://:secret@redis:6379/2',
    );
    const problems = problemsOf({ ENGRAM_PUBLIC_URL: 'memory.example.com', REDIS_URL: 'localhost:6379' });
    assert.match(problems[0], /ENGRAM_PUBLIC_URL=memory.example.com is not accepted; expected an http/);
    assert.match(problems[1], /REDIS_URL must look like redis:\/\//);
    assert.ok(!problems.join().includes('secret'));
  });

  it('never shows the password or query of a URL setting it refuses', () => {
    const problems = problemsOf({
      ENGRAM_RERANK_URL: 'admin:hunter2@rerank.internal:8080',
      MCP_EXTERNAL_EMBEDDING_URL: 'ftp://admin:hunter2@embed.internal/v1?api_key=sk-hunter2',
      ENGRAM_CONFLICTS_JUDGE_URL: 'judge:hunter2@judge.internal',
      ENGRAM_PUBLIC_URL: 'memory.example.com',
    });
    assert.ok(problems.some((line) => line.startsWith('ENGRAM_RERANK_URL=…@rerank.internal:8080 is not accepted')));
    assert.ok(
      problems.some((line) => line.startsWith('MCP_EXTERNAL_EMBEDDING_URL=ftp://…@embed.internal/v1?… is not')),
    );
    assert.ok(problems.some((line) => line.startsWith('ENGRAM_CONFLICTS_JUDGE_URL=…@judge.internal is not accepted')));
    assert.ok(problems.some((line) => line.startsWith('ENGRAM_PUBLIC_URL=memory.example.com is not accepted')));
    assert.ok(!problems.join('\n').includes('hunter2'), problems.join('\n'));
  });

  it('reads the database key inline or from a file, never both, and refuses a short one', () => {
    const keyFile = join(dir, 'db.key');
    writeFileSync(keyFile, 'a passphrase of some length\n');
    assert.equal(loadConfig({ env: {}, cwd: dir }).storage.encryptionKey, undefined);
    assert.equal(
      loadConfig({ env: { ENGRAM_DB_ENCRYPTION_KEY_FILE: 'db.key' }, cwd: dir }).storage.encryptionKey,
      'a passphrase of some length',
    );
    assert.match(
      problemsOf({ ENGRAM_DB_ENCRYPTION_KEY: 'x'.repeat(20), ENGRAM_DB_ENCRYPTION_KEY_FILE: 'db.key' }).join(),
      /not both/,
    );
    // The problem names the variable to fix, as every configuration problem does.
    assert.match(problemsOf({ ENGRAM_DB_ENCRYPTION_KEY: 'k3y!' }).join(), /^ENGRAM_DB_ENCRYPTION_KEY is too short; /);
    writeFileSync(join(dir, 'short.key'), 'k3y!\n');
    assert.match(
      problemsOf({ ENGRAM_DB_ENCRYPTION_KEY_FILE: 'short.key' }).join(),
      /^The key in ENGRAM_DB_ENCRYPTION_KEY_FILE=short\.key is too short; /,
    );
    assert.match(problemsOf({ ENGRAM_DB_ENCRYPTION_KEY_FILE: 'missing.key' }).join(), /cannot be read: ENOENT/);
    assert.ok(!problemsOf({ ENGRAM_DB_ENCRYPTION_KEY: 'k3y!' }).join().includes('k3y!'), 'the key is never shown');
  });

  it('keeps the HNSW vector index by default, scans with a database key, and refuses the index with one', () => {
    const key = 'a-long-enough-passphrase';
    assert.equal(loadConfig({ env: {}, cwd: dir }).storage.vectorIndex, 'ann');
    assert.equal(loadConfig({ env: { ENGRAM_VECTOR_INDEX: 'scan' }, cwd: dir }).storage.vectorIndex, 'scan');
    assert.equal(loadConfig({ env: { ENGRAM_DB_ENCRYPTION_KEY: key }, cwd: dir }).storage.vectorIndex, 'scan');
    assert.match(problemsOf({ ENGRAM_VECTOR_INDEX: 'hnsw' }).join(), /ENGRAM_VECTOR_INDEX/);
    assert.match(
      problemsOf({ ENGRAM_VECTOR_INDEX: 'ann', ENGRAM_DB_ENCRYPTION_KEY: key }).join(),
      /ENGRAM_VECTOR_INDEX=ann keeps the vectors unencrypted/,
    );
  });

  it('selects the postgres backend with its connection, reporting every connection problem at once', () => {
    const urlFile = join(dir, 'database-url');
    writeFileSync(urlFile, 'postgres://engram:s3cret@db.internal:5432/engram?sslmode=require\n');
    const config = loadConfig({
      env: { MCP_MEMORY_STORAGE_BACKEND: 'postgres', DATABASE_URL_FILE: 'database-url' },
      cwd: dir,
    });
    assert.equal(config.storage.backend, 'postgres');
    assert.deepEqual(config.storage.postgres, {
      url: 'postgres://engram:s3cret@db.internal:5432/engram?sslmode=require',
      poolSize: 10,
      statementTimeoutMs: 15_000,
    });
    assert.equal(loadConfig({ env: {}, cwd: dir }).storage.postgres, undefined, 'SQLite reads no connection');
    const problems = problemsOf({
      MCP_MEMORY_STORAGE_BACKEND: 'postgres',
      DATABASE_URL: 'mysql://root:hunter22@db/engram',
      ENGRAM_DATABASE_POOL_SIZE: '0',
      ENGRAM_DATABASE_STATEMENT_TIMEOUT_MS: 'soon',
      ENGRAM_DB_ENCRYPTION_KEY: 'a-long-enough-passphrase',
    });
    assert.equal(problems.length, 4, problems.join('\n'));
    assert.match(problems[0], /^ENGRAM_DATABASE_POOL_SIZE=0 .* 1 to 1000/);
    assert.match(problems[1], /^ENGRAM_DATABASE_STATEMENT_TIMEOUT_MS=soon/);
    assert.match(problems[2], /^DATABASE_URL is not accepted; expected postgres:\/\//);
    assert.match(problems[3], /^ENGRAM_DB_ENCRYPTION_KEY encrypts the SQLite file; .* encrypt at the server/);
    assert.ok(!problems.join().includes('hunter22'), 'the password is never shown');
    assert.match(problemsOf({ MCP_MEMORY_STORAGE_BACKEND: 'postgres' }).join(), /needs DATABASE_URL/);
    assert.match(
      problemsOf({
        MCP_MEMORY_STORAGE_BACKEND: 'postgres',
        DATABASE_URL: 'postgres://h/db',
        DATABASE_URL_FILE: 'x',
      }).join(),
      /not both/,
    );
  });

  it('reads the PostgreSQL connection from DATABASE_URL or its file, with pool and timeout defaults', () => {
    const urlFile = join(dir, 'database-url');
    writeFileSync(urlFile, 'postgresql://engram:pw@db.internal/engram\n');
    const read = (vars: Record<string, string>) => {
      const reader = new EnvReader(vars, dir);
      return { config: readPostgresConfig(reader), errors: reader.errors };
    };
    assert.deepEqual(read({ DATABASE_URL_FILE: 'database-url' }), {
      config: { url: 'postgresql://engram:pw@db.internal/engram', poolSize: 10, statementTimeoutMs: 15_000 },
      errors: [],
    });
    assert.deepEqual(
      read({ DATABASE_URL: 'postgres://u:p@h:5433/d', ENGRAM_DATABASE_POOL_SIZE: '40' }).config?.poolSize,
      40,
    );
    assert.match(
      read({ DATABASE_URL_FILE: 'missing' }).errors.join(),
      /DATABASE_URL_FILE=missing cannot be read: ENOENT/,
    );
  });

  it('takes ENGRAM_REDIS_PREFIX as given, and refuses one that is empty of meaning or unsafe as a key part', () => {
    assert.equal(loadConfig({ env: {}, cwd: dir }).redis.prefix, undefined);
    assert.equal(loadConfig({ env: { ENGRAM_REDIS_PREFIX: 'engram:{prod}' }, cwd: dir }).redis.prefix, 'engram:{prod}');
    for (const prefix of ['engram:', 'two words', 'x'.repeat(65), 'prod*']) {
      assert.match(problemsOf({ ENGRAM_REDIS_PREFIX: prefix }).join(), /ENGRAM_REDIS_PREFIX=.* is not accepted/);
    }
  });

  it('turns OAuth on only with a public URL and a way for the operator to sign in', () => {
    assert.equal(loadConfig({ env: {}, cwd: dir }).oauth.enabled, false);
    const problems = problemsOf({ ENGRAM_OAUTH_ENABLED: 'true', ENGRAM_OAUTH_PASSWORD: 'short' });
    assert.match(problems.join('\n'), /ENGRAM_OAUTH_PASSWORD is too short/);
    assert.match(problems.join('\n'), /needs ENGRAM_PUBLIC_URL/);
    assert.match(
      problemsOf({ ENGRAM_OAUTH_ENABLED: 'true', ENGRAM_PUBLIC_URL: 'https://m.example.com' })[0],
      /needs ENGRAM_OAUTH_PASSWORD or MCP_API_KEY/,
    );
    const plain = problemsOf({
      ENGRAM_OAUTH_ENABLED: 'true',
      ENGRAM_PUBLIC_URL: 'http://m.example.com/engram',
      ENGRAM_OAUTH_PASSWORD: 'a-long-operator-password',
    });
    assert.match(plain[0], /must be https/);
    assert.match(plain[1], /without a path/);
    const local = {
      ENGRAM_OAUTH_ENABLED: 'true',
      ENGRAM_PUBLIC_URL: 'http://127.0.0.1:8000',
      MCP_API_KEY: 'k'.repeat(20),
    };
    assert.deepEqual(problemsOf(local), []);
    const config = loadConfig({
      env: {
        ENGRAM_OAUTH_ENABLED: 'true',
        ENGRAM_PUBLIC_URL: 'https://m.example.com',
        ENGRAM_OAUTH_PASSWORD: 'a-long-operator-password',
      },
      cwd: dir,
    });
    assert.equal(config.oauth.accessTokenSeconds, 3600);
    assert.equal(config.oauth.refreshTokenDays, 30);
    assert.equal(config.oauth.grantMaxDays, 90);
    assert.equal(config.oauth.openRegistration, false, 'dynamic registration is closed unless opened');
    assert.equal(config.oauth.metadataDocuments, true);
    assert.deepEqual(config.oauth.metadataPrivateHosts, []);
  });

  it('names contradictory or malformed OAuth registration and metadata-document settings', () => {
    const problems = problemsOf({
      ENGRAM_OAUTH_OPEN_REGISTRATION: 'true',
      ENGRAM_OAUTH_REGISTRATION_TOKEN: 'initial-access-token',
      ENGRAM_OAUTH_REFRESH_TOKEN_DAYS: '60',
      ENGRAM_OAUTH_GRANT_MAX_DAYS: '30',
      ENGRAM_OAUTH_METADATA_PRIVATE_HOSTS: 'intranet.example.com, 10.1.0.0/16, ::1, 10.0.0.0/40, http://x',
    });
    const text = problems.join('\n');
    assert.match(text, /OPEN_REGISTRATION=true and ENGRAM_OAUTH_REGISTRATION_TOKEN contradict/);
    assert.match(text, /GRANT_MAX_DAYS=30 is shorter than ENGRAM_OAUTH_REFRESH_TOKEN_DAYS=60/);
    assert.match(text, /PRIVATE_HOSTS: "10.0.0.0\/40" is not a host name/);
    assert.match(text, /PRIVATE_HOSTS: "http:\/\/x" is not a host name/);
    assert.equal(problems.length, 4, text);
  });

  it('reads the MCP stream cap and legacy listing, and names bad values', () => {
    const defaults = loadConfig({ env: {}, cwd: dir }).mcp;
    assert.deepEqual(defaults, { legacyTools: 'listed', streamsPerCredential: 4 });
    const problems = problemsOf({
      ENGRAM_MCP_LEGACY_TOOLS: 'hidden',
      ENGRAM_MCP_STREAMS_PER_CREDENTIAL: '0',
    });
    assert.equal(problems.length, 2);
    assert.match(problems[0], /ENGRAM_MCP_LEGACY_TOOLS=hidden is not supported; accepted values: listed, unlisted/);
    assert.match(problems[1], /ENGRAM_MCP_STREAMS_PER_CREDENTIAL/);
  });

  it('reads the event stream settings, and names bad values', () => {
    assert.deepEqual(loadConfig({ env: {}, cwd: dir }).events, {
      ringSize: 1000,
      ringTotal: 20_000,
      includeContent: false,
      legacyChannel: true,
      sseHeartbeatSeconds: 15,
      sseClientBufferBytes: 1024 * 1024,
      sseMaxClients: 1000,
      sseMaxClientsPerCredential: 20,
      sseMaxClientsPerNamespace: 250,
    });
    const tuned = loadConfig({
      env: {
        ENGRAM_EVENTS_RING_SIZE: '0',
        ENGRAM_EVENTS_INCLUDE_CONTENT: 'yes',
        ENGRAM_EVENTS_LEGACY_CHANNEL: 'false',
        ENGRAM_SSE_HEARTBEAT_SECONDS: '5',
      },
      cwd: dir,
    }).events;
    assert.equal(tuned.ringSize, 0);
    assert.equal(tuned.includeContent, true);
    assert.equal(tuned.legacyChannel, false);
    assert.equal(tuned.sseHeartbeatSeconds, 5);
    const problems = problemsOf({
      ENGRAM_SSE_HEARTBEAT_SECONDS: '0',
      ENGRAM_SSE_CLIENT_BUFFER_BYTES: '100',
      ENGRAM_SSE_MAX_CLIENTS: 'many',
    });
    assert.equal(problems.length, 3);
    assert.match(problems.join('\n'), /ENGRAM_SSE_CLIENT_BUFFER_BYTES=100 .* from 4096/);
  });

  it('bounds the replay windows of every namespace together, never below one window', () => {
    assert.equal(loadConfig({ env: { ENGRAM_EVENTS_RING_SIZE: '50000' }, cwd: dir }).events.ringTotal, 50_000);
    assert.equal(loadConfig({ env: { ENGRAM_EVENTS_RING_TOTAL: '5000' }, cwd: dir }).events.ringTotal, 5000);
    assert.deepEqual(problemsOf({ ENGRAM_EVENTS_RING_SIZE: '100', ENGRAM_EVENTS_RING_TOTAL: '99' }), [
      'ENGRAM_EVENTS_RING_TOTAL=99 is not accepted; expected an integer from 100 to 10000000',
    ]);
  });

  it("keeps a namespace's share of waiting jobs within the queue's: a quarter by default, never more than all", () => {
    assert.deepEqual(loadConfig({ env: {}, cwd: dir }).jobs, {
      maxWaiting: 100,
      maxWaitingPerNamespace: 25,
      keepFinishedPerNamespace: 200,
    });
    assert.deepEqual(loadConfig({ env: { ENGRAM_JOBS_MAX_WAITING: '3' }, cwd: dir }).jobs, {
      maxWaiting: 3,
      maxWaitingPerNamespace: 1,
      keepFinishedPerNamespace: 200,
    });
    assert.deepEqual(problemsOf({ ENGRAM_JOBS_MAX_WAITING: '10', ENGRAM_JOBS_MAX_WAITING_PER_NAMESPACE: '11' }), [
      'ENGRAM_JOBS_MAX_WAITING_PER_NAMESPACE=11 is not accepted; expected an integer from 1 to 10',
    ]);
  });

  it('reads how many finished jobs each namespace keeps, from 1 to 10,000', () => {
    const tuned = loadConfig({ env: { ENGRAM_JOBS_KEEP_FINISHED: '3' }, cwd: dir }).jobs;
    assert.equal(tuned.keepFinishedPerNamespace, 3);
    assert.deepEqual(problemsOf({ ENGRAM_JOBS_KEEP_FINISHED: '0' }), [
      'ENGRAM_JOBS_KEEP_FINISHED=0 is not accepted; expected an integer from 1 to 10000',
    ]);
  });

  it("keeps a namespace's share of event streams below the process's: a quarter by default, never more than all", () => {
    const small = loadConfig({ env: { ENGRAM_SSE_MAX_CLIENTS: '40' }, cwd: dir }).events;
    assert.equal(small.sseMaxClientsPerNamespace, 10);
    assert.equal(loadConfig({ env: { ENGRAM_SSE_MAX_CLIENTS: '2' }, cwd: dir }).events.sseMaxClientsPerNamespace, 1);
    const tuned = loadConfig({ env: { ENGRAM_SSE_MAX_CLIENTS_PER_NAMESPACE: '1000' }, cwd: dir }).events;
    assert.equal(tuned.sseMaxClientsPerNamespace, 1000);
    assert.deepEqual(problemsOf({ ENGRAM_SSE_MAX_CLIENTS: '40', ENGRAM_SSE_MAX_CLIENTS_PER_NAMESPACE: '41' }), [
      'ENGRAM_SSE_MAX_CLIENTS_PER_NAMESPACE=41 is not accepted; expected an integer from 1 to 40',
    ]);
    assert.equal(problemsOf({ ENGRAM_SSE_MAX_CLIENTS_PER_NAMESPACE: '0' }).length, 1);
  });

  it('reads trusted proxies as addresses and CIDR ranges, naming each entry that is neither', () => {
    assert.deepEqual(loadConfig({ env: {}, cwd: dir }).http.trustedProxies, []);
    const proxies = loadConfig({ env: { ENGRAM_TRUSTED_PROXIES: '10.0.0.0/8, 192.168.1.7,fd00::/8' }, cwd: dir });
    assert.deepEqual(proxies.http.trustedProxies, [
      { address: '10.0.0.0', prefix: 8, family: 'ipv4' },
      { address: '192.168.1.7', prefix: 32, family: 'ipv4' },
      { address: 'fd00::', prefix: 8, family: 'ipv6' },
    ]);
    const problems = problemsOf({ ENGRAM_TRUSTED_PROXIES: '10.0.0.0/33, ingress.local, 1.2.3.4/x, ::1/129' });
    assert.equal(problems.length, 4);
    for (const entry of ['10.0.0.0/33', 'ingress.local', '1.2.3.4/x', '::1/129']) {
      assert.ok(
        problems.some((line) => line.startsWith(`ENGRAM_TRUSTED_PROXIES: "${entry}"`)),
        entry,
      );
    }
  });

  it("reads the HTTP timeouts (Node's 60 s for headers, no limit for a whole request), and names bad ones", () => {
    assert.deepEqual(loadConfig({ env: {}, cwd: dir }).http.timeouts, { headersMs: 60_000, requestMs: 0 });
    const set = loadConfig({
      env: { ENGRAM_HTTP_HEADERS_TIMEOUT_MS: '5000', ENGRAM_HTTP_REQUEST_TIMEOUT_MS: '120000' },
      cwd: dir,
    });
    assert.deepEqual(set.http.timeouts, { headersMs: 5000, requestMs: 120_000 });
    assert.deepEqual(problemsOf({ ENGRAM_HTTP_HEADERS_TIMEOUT_MS: '5s', ENGRAM_HTTP_REQUEST_TIMEOUT_MS: '-1' }), [
      'ENGRAM_HTTP_HEADERS_TIMEOUT_MS=5s is not accepted; expected an integer from 1000 to 600000',
      'ENGRAM_HTTP_REQUEST_TIMEOUT_MS=-1 is not accepted; expected an integer from 0 to 86400000',
    ]);
    assert.deepEqual(problemsOf({ ENGRAM_HTTP_HEADERS_TIMEOUT_MS: '999' }), [
      'ENGRAM_HTTP_HEADERS_TIMEOUT_MS=999 is not accepted; expected an integer from 1000 to 600000',
    ]);
    assert.deepEqual(problemsOf({ ENGRAM_HTTP_REQUEST_TIMEOUT_MS: '30000' }), [
      'ENGRAM_HTTP_REQUEST_TIMEOUT_MS=30000 is shorter than ENGRAM_HTTP_HEADERS_TIMEOUT_MS=60000, and the whole ' +
        'request includes its headers; raise it, or set 0 for no limit',
    ]);
  });

  it('reads the access log level, the audit retention and the per-credential stream cap', () => {
    const defaults = loadConfig({ env: {}, cwd: dir });
    assert.equal(defaults.log.accessLevel, 'info');
    assert.equal(defaults.audit.retentionDays, 365);
    const problems = problemsOf({
      ENGRAM_ACCESS_LOG_LEVEL: 'verbose',
      ENGRAM_AUDIT_RETENTION_DAYS: '-1',
      ENGRAM_SSE_MAX_CLIENTS_PER_CREDENTIAL: '0',
    });
    assert.equal(problems.length, 3);
    assert.match(problems.join('\n'), /ENGRAM_ACCESS_LOG_LEVEL=verbose .* off, debug, info/);
  });

  it('keeps a keyless server on loopback unless anonymous access is allowed', () => {
    const open = loadConfig({ env: { MCP_HTTP_HOST: '0.0.0.0' }, cwd: dir });
    const decision = decideBindAddress(open);
    assert.equal(decision.host, '127.0.0.1');
    assert.match(decision.warning ?? '', /MCP_API_KEY/);
    const anonymous = loadConfig({ env: { MCP_HTTP_HOST: '0.0.0.0', MCP_ALLOW_ANONYMOUS_ACCESS: 'true' }, cwd: dir });
    assert.equal(decideBindAddress(anonymous).host, '0.0.0.0');
    const keyed = loadConfig({ env: { MCP_HTTP_HOST: '0.0.0.0', MCP_API_KEY: 'a-long-enough-api-key' }, cwd: dir });
    assert.deepEqual(decideBindAddress(keyed), { host: '0.0.0.0' });
  });
});
