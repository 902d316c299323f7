import { Migration } from '../migrations/migration';
import { POSTGRES_CURRENT_TALLIES } from './postgres-current-tallies';
import { POSTGRES_MEMORY_TALLIES } from './postgres-memory-tallies';
import { POSTGRES_DEFERRABLE_TALLIES } from './postgres-tally-recount';
import { POSTGRES_TAG_LIST_ORDER } from './postgres-tag-list-order';
import { POSTGRES_TRASH_TALLY } from './postgres-trash-tally';
import { PostgresDatabase, Queryable } from './postgres.database';

/**
 * The PostgreSQL schema, numbered like SQLite's. Vectors need the model's dimension, so their table and
 * HNSW index are created when the model is bound (postgres-model.binding.ts), not here.
 */
export const POSTGRES_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'memories',
    sql: `
      CREATE TABLE memories (
        id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        namespace    text   NOT NULL DEFAULT 'default',
        content_hash text   NOT NULL,
        content      text   NOT NULL,
        memory_type  text   NOT NULL,
        metadata     json   NOT NULL DEFAULT '{}',
        created_at   bigint NOT NULL, -- epoch milliseconds
        updated_at   bigint NOT NULL,
        deleted_at   bigint,
        -- English stemming, as SQLite's porter tokenizer does.
        keywords     tsvector GENERATED ALWAYS AS (to_tsvector('english', content)) STORED
      );
      -- Dedup is the database's rule too: racing stores of one text cannot both insert a live row.
      CREATE UNIQUE INDEX memories_live_hash ON memories (namespace, content_hash) WHERE deleted_at IS NULL;
      CREATE INDEX memories_live_created ON memories (namespace, created_at) WHERE deleted_at IS NULL;
      CREATE INDEX memories_live_type ON memories (namespace, memory_type, created_at) WHERE deleted_at IS NULL;
      CREATE INDEX memories_deleted ON memories (namespace, content_hash, deleted_at) WHERE deleted_at IS NOT NULL;
      CREATE INDEX memories_keywords ON memories USING gin (keywords) WHERE deleted_at IS NULL;

      CREATE TABLE memory_tags (
        memory_id bigint NOT NULL REFERENCES memories (id) ON DELETE CASCADE,
        tag       text   NOT NULL,
        PRIMARY KEY (memory_id, tag)
      );
      CREATE INDEX memory_tags_by_tag ON memory_tags (tag, memory_id);

      CREATE TABLE settings (
        key   text PRIMARY KEY,
        value text NOT NULL
      );
    `,
  },
  {
    version: 2,
    name: 'store-identity',
    // Like SQLite's migration 017: 32 hex digits, kept by restores, the default Redis key prefix's source.
    sql: `
      CREATE TABLE store_identity (
        singleton integer PRIMARY KEY CHECK (singleton = 1),
        store_id  text    NOT NULL
      );
      INSERT INTO store_identity (singleton, store_id) VALUES (1, replace(gen_random_uuid()::text, '-', ''));
    `,
  },
  {
    version: 3,
    name: 'audit',
    // SQLite's migration 015, column for column.
    sql: `
      CREATE TABLE audit_events (
        id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        at             bigint NOT NULL,
        action         text   NOT NULL,
        outcome        text   NOT NULL,
        principal_kind text   NOT NULL,
        principal_id   text   NOT NULL,
        principal_name text,
        namespace      text,
        client_address text   NOT NULL,
        target         text,
        details        text
      );
      CREATE INDEX audit_events_at ON audit_events (at);
      CREATE INDEX audit_events_action ON audit_events (action, id);
      CREATE INDEX audit_events_principal ON audit_events (principal_id, id);
      CREATE INDEX audit_events_namespace ON audit_events (namespace, id);
    `,
  },
  {
    version: 4,
    name: 'supersession',
    // The supersession links of SQLite's migration 019.
    sql: `
      ALTER TABLE memories ADD COLUMN superseded_by bigint REFERENCES memories (id) ON DELETE SET NULL;
      ALTER TABLE memories ADD COLUMN supersedes bigint REFERENCES memories (id) ON DELETE SET NULL;
      ALTER TABLE memories ADD COLUMN valid_to bigint; -- epoch ms the memory was superseded
      CREATE INDEX memories_superseded_by ON memories (superseded_by) WHERE superseded_by IS NOT NULL;
    `,
  },
  {
    version: 5,
    name: 'usage-conflicts-cancellations',
    // SQLite's memory_usage and memory_conflicts (019) and mcp_cancellations (018), column for column.
    sql: `
      CREATE TABLE memory_usage (
        memory_id     bigint  PRIMARY KEY REFERENCES memories (id) ON DELETE CASCADE,
        retrievals    integer NOT NULL DEFAULT 0,
        fetches       integer NOT NULL DEFAULT 0,
        last_used_at  bigint,
        rating_sum    integer NOT NULL DEFAULT 0,
        rating_count  integer NOT NULL DEFAULT 0,
        last_rating   integer,
        last_feedback text
      );

      CREATE TABLE memory_conflicts (
        id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        namespace   text   NOT NULL,
        first_id    bigint NOT NULL REFERENCES memories (id) ON DELETE CASCADE,
        second_id   bigint NOT NULL REFERENCES memories (id) ON DELETE CASCADE,
        score       double precision NOT NULL,
        evidence    text   NOT NULL,
        status      text   NOT NULL,
        resolution  text,
        created_at  bigint NOT NULL,
        resolved_at bigint,
        UNIQUE (first_id, second_id)
      );
      CREATE INDEX memory_conflicts_open ON memory_conflicts (namespace, status, score);

      CREATE TABLE mcp_cancellations (
        seq          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        credential   text   NOT NULL,
        caller       text   NOT NULL,
        request_id   text   NOT NULL,
        requested_at bigint NOT NULL
      );
      CREATE INDEX mcp_cancellations_credential ON mcp_cancellations (credential, seq);
    `,
  },
  {
    version: 6,
    name: 'api-keys',
    // SQLite's api_keys (010), column for column: secrets only as SHA-256 digests.
    sql: `
      CREATE TABLE api_keys (
        id           text   PRIMARY KEY,
        name         text   NOT NULL,
        secret_hash  text   NOT NULL UNIQUE,
        prefix       text   NOT NULL,
        scopes       text   NOT NULL, -- space-separated
        namespace    text,            -- NULL: not bound to one namespace
        created_at   bigint NOT NULL, -- epoch milliseconds
        last_used_at bigint,
        expires_at   bigint,
        revoked_at   bigint
      );
    `,
  },
  {
    version: 7,
    name: 'oauth',
    // SQLite's OAuth tables (010, 013) column for column, and pending consents (020), so a consent shown by
    // one replica can be approved on another. Secrets, codes and CSRF tokens only as SHA-256 digests.
    sql: `
      CREATE TABLE oauth_clients (
        client_id   text   PRIMARY KEY,
        secret_hash text,            -- NULL for public clients (PKCE only)
        metadata    text   NOT NULL, -- the registered client metadata, JSON
        created_at  bigint NOT NULL, -- epoch milliseconds
        source      text   NOT NULL DEFAULT 'registration' CHECK (source IN ('registration', 'metadata_document')),
        granted_at  bigint           -- first approval; NULL: never approved
      );
      CREATE INDEX oauth_clients_ungranted ON oauth_clients (created_at) WHERE granted_at IS NULL;

      CREATE TABLE oauth_codes (
        code_hash      text   PRIMARY KEY,
        client_id      text   NOT NULL REFERENCES oauth_clients (client_id) ON DELETE CASCADE,
        redirect_uri   text   NOT NULL,
        code_challenge text   NOT NULL,
        scopes         text   NOT NULL, -- space-separated
        namespace      text   NOT NULL,
        resource       text   NOT NULL,
        expires_at     bigint NOT NULL,
        used_at        bigint,
        family_id      text   NOT NULL  -- the token family its exchange starts (revoked on code reuse)
      );
      CREATE INDEX oauth_codes_client ON oauth_codes (client_id);
      CREATE INDEX oauth_codes_expires ON oauth_codes (expires_at);

      CREATE TABLE oauth_tokens (
        token_hash text   PRIMARY KEY,
        kind       text   NOT NULL CHECK (kind IN ('access', 'refresh')),
        client_id  text   NOT NULL REFERENCES oauth_clients (client_id) ON DELETE CASCADE,
        family_id  text   NOT NULL,
        scopes     text   NOT NULL,
        namespace  text   NOT NULL,
        audience   text   NOT NULL,
        created_at bigint NOT NULL,
        granted_at bigint NOT NULL, -- when the family's approval was given
        expires_at bigint NOT NULL,
        rotated_at bigint,          -- refresh tokens: when exchanged for a new one
        revoked_at bigint
      );
      CREATE INDEX oauth_tokens_family ON oauth_tokens (family_id);
      CREATE INDEX oauth_tokens_client ON oauth_tokens (client_id, expires_at);
      CREATE INDEX oauth_tokens_expires ON oauth_tokens (expires_at);

      CREATE TABLE oauth_pending_consents (
        request_id            text   PRIMARY KEY,
        csrf_hash             text   NOT NULL,
        authorization_request text   NOT NULL, -- JSON
        expires_at            bigint NOT NULL
      );
      CREATE INDEX oauth_pending_consents_expires ON oauth_pending_consents (expires_at);
      `,
  },
  {
    version: 8,
    name: 'agent-files',
    // The memory agent's markdown memory, which SQLite deployments keep in MEMORY_DIR: one row per file,
    // hidden root files (.filters) included; folders exist as the paths of their files.
    sql: `
      CREATE TABLE agent_files (
        namespace   text   NOT NULL,
        path        text   NOT NULL, -- relative to the memory root, '/' separators
        content     bytea  NOT NULL, -- exactly the bytes written (UTF-8 text)
        modified_at bigint NOT NULL, -- epoch milliseconds
        PRIMARY KEY (namespace, path)
      );
    `,
  },
  {
    version: 9,
    name: 'reindex-staging',
    // The reindex's staging area (reindex/postgres-reindex.staging.ts), as SQLite's reindex-staging.sql.ts:
    // the target model, and vectors of any dimension (the target's) valid for the content they came from.
    sql: `
      CREATE TABLE reindex_target (
        id        integer PRIMARY KEY CHECK (id = 1),
        model     text    NOT NULL,
        dimension integer NOT NULL
      );
      CREATE TABLE reindex_vectors (
        memory_id    bigint PRIMARY KEY REFERENCES memories (id) ON DELETE CASCADE,
        content_hash text   NOT NULL,
        embedding    vector NOT NULL
      );
    `,
  },
  {
    version: 10,
    name: 'import-uploads',
    // An upload waiting for its import job, which may run on a worker on another node than the api that
    // took it (postgres-upload.shelf.ts): parts of at most 1 MiB, dropped when the import ends.
    sql: `
      CREATE TABLE import_uploads (
        upload_id text    NOT NULL,
        part      integer NOT NULL,
        data      bytea   NOT NULL,
        stored_at bigint  NOT NULL, -- epoch milliseconds
        PRIMARY KEY (upload_id, part)
      );
      CREATE INDEX import_uploads_stored ON import_uploads (stored_at);
    `,
  },
  {
    version: 11,
    name: 'keyword-lengths',
    // Each memory's length in words (stop words included, as the positions count them), for BM25's
    // length normalisation: keyword scores then mean what SQLite's FTS5 scores mean (postgres-keyword-ranking.ts).
    sql: `
      CREATE FUNCTION engram_word_count(document tsvector) RETURNS integer
        LANGUAGE sql IMMUTABLE PARALLEL SAFE
        AS $$ SELECT coalesce(max(position), 0)::integer FROM unnest(document) lexeme, unnest(lexeme.positions) position $$;
      ALTER TABLE memories ADD COLUMN keyword_length integer
        GENERATED ALWAYS AS (engram_word_count(to_tsvector('english', content))) STORED;
    `,
  },
  {
    version: 12,
    name: 'consolidation',
    // SQLite's consolidation_sets and consolidation_items (021), column for column.
    sql: `
      CREATE TABLE consolidation_sets (
        seq        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        id         text   NOT NULL UNIQUE,
        namespace  text   NOT NULL,
        job_id     text,
        created_at bigint NOT NULL,
        settings   text   NOT NULL,
        summary    text   NOT NULL
      );
      CREATE INDEX consolidation_sets_namespace ON consolidation_sets (namespace, seq);
      CREATE TABLE consolidation_items (
        set_id     text    NOT NULL REFERENCES consolidation_sets (id) ON DELETE CASCADE,
        item_id    integer NOT NULL,
        proposal   text    NOT NULL,
        applied_at bigint,
        outcome    text,
        PRIMARY KEY (set_id, item_id)
      );
    `,
  },
  {
    version: 13,
    name: 'agent-file-versions',
    // SQLite's agent_file_versions (022), column for column: the journal of the memory files in agent_files.
    sql: `
      CREATE TABLE agent_file_versions (
        id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        namespace text   NOT NULL,
        path      text   NOT NULL,
        at        bigint NOT NULL,
        actor     text   NOT NULL CHECK (actor IN ('agent', 'import', 'hand_edit', 'revert', 'restore')),
        kind      text   NOT NULL CHECK (kind IN ('created', 'updated', 'deleted')),
        size      bigint NOT NULL,
        diff      text,
        content   bytea,
        digest    text
      );
      CREATE INDEX agent_file_versions_file ON agent_file_versions (namespace, path, id);
    `,
  },
  {
    version: 14,
    name: 'conflict-judge',
    // SQLite's 023: the LLM judge's verdict on a proposal, JSON or null.
    sql: `ALTER TABLE memory_conflicts ADD COLUMN judge text;`,
  },
  {
    version: 15,
    name: 'namespace-own-numbers',
    // SQLite's 027: a conflict's number within its namespace, a memory file's version within the file.
    sql: `
      ALTER TABLE memory_conflicts ADD COLUMN number bigint;
      UPDATE memory_conflicts SET number = ranked.n
        FROM (SELECT id, row_number() OVER (PARTITION BY namespace ORDER BY id) AS n FROM memory_conflicts) AS ranked
       WHERE ranked.id = memory_conflicts.id;
      ALTER TABLE memory_conflicts ALTER COLUMN number SET NOT NULL;
      CREATE UNIQUE INDEX memory_conflicts_number ON memory_conflicts (namespace, number);

      ALTER TABLE agent_file_versions ADD COLUMN version bigint;
      UPDATE agent_file_versions SET version = ranked.n
        FROM (SELECT id, row_number() OVER (PARTITION BY namespace, path ORDER BY id) AS n FROM agent_file_versions) AS ranked
       WHERE ranked.id = agent_file_versions.id;
      ALTER TABLE agent_file_versions ALTER COLUMN version SET NOT NULL;
      CREATE UNIQUE INDEX agent_file_versions_version ON agent_file_versions (namespace, path, version);
    `,
  },
  {
    version: 16,
    name: 'foreign-key-indexes',
    // SQLite's 028: PostgreSQL too checks a deleted parent's children with a scan when no index leads
    // with the child column, once per deleted row.
    sql: `
      CREATE INDEX memories_supersedes ON memories (supersedes) WHERE supersedes IS NOT NULL;
      CREATE INDEX memory_conflicts_second ON memory_conflicts (second_id);
    `,
  },
  {
    version: 17,
    name: 'consent-sources',
    // SQLite's 029: who asked for each pending consent, so a flood pushes out its own consents only.
    sql: `
      ALTER TABLE oauth_pending_consents ADD COLUMN source text NOT NULL DEFAULT '';
      CREATE INDEX oauth_pending_consents_source ON oauth_pending_consents (source, expires_at);
    `,
  },
  {
    version: 18,
    name: 'namespace-id-order',
    // PostgreSQL only: each namespace's memories in id order, for the walks that page through one namespace
    // after the last id read (export, the conflict scan, quality distribution, consolidation). Without it a
    // page of a namespace among others intersected that namespace's whole index with every id after the
    // page, so a walk cost its pages times the store. SQLite's walks read its filter-probe index by id.
    sql: `CREATE INDEX memories_namespace_id ON memories (namespace, id);`,
  },
  {
    version: 19,
    name: 'list-order-indexes',
    // PostgreSQL's forms of SQLite's memories_live_created and 014's memories_trash_by_time, whose rowid
    // ends every SQLite index: a page of the list or of the trash, ordered with ties by id, is then read in
    // index order and stops at its last row, where PostgreSQL sorted the namespace's memories or its whole
    // trash for every page. The live index keeps superseded memories (a list that includes them reads it
    // too) and holds superseded_by, which the default list checks, as the trash index holds the hash that
    // picks each text's newest deletion: once vacuumed, the rows a deep page skips are read from the index
    // alone. It replaces the (namespace, created_at) index it extends.
    sql: `
      DROP INDEX memories_live_created;
      CREATE INDEX memories_live_created_id ON memories (namespace, created_at, id) INCLUDE (superseded_by)
        WHERE deleted_at IS NULL;
      CREATE INDEX memories_trash_by_time ON memories (namespace, deleted_at, id) INCLUDE (content_hash)
        WHERE deleted_at IS NOT NULL;
    `,
  },
  {
    version: 20,
    name: 'memory-tallies',
    // What a namespace holds, kept by triggers in the transaction of every write (postgres-memory-tallies.ts).
    sql: POSTGRES_MEMORY_TALLIES,
  },
  {
    version: 21,
    name: 'deferrable-tallies',
    // A rewrite of the whole store sets the tally triggers aside and recounts once (postgres-tally-recount.ts).
    sql: POSTGRES_DEFERRABLE_TALLIES,
  },
  {
    version: 22,
    name: 'trash-tally',
    // The texts in each namespace's trash, the trash page's total (postgres-trash-tally.ts).
    sql: POSTGRES_TRASH_TALLY,
  },
  {
    version: 23,
    name: 'slot-leases',
    // Semaphores every replica shares, such as the conflict judge's slots (postgres-slot-leases.ts);
    // SQLite's slot_leases came with its migration 33.
    sql: `
      CREATE TABLE slot_leases (
        semaphore  text        NOT NULL,
        ticket     text        NOT NULL,
        place      bigint      GENERATED ALWAYS AS IDENTITY,
        expires_at timestamptz NOT NULL,
        PRIMARY KEY (semaphore, ticket)
      );
      CREATE INDEX slot_leases_line ON slot_leases (semaphore, place);
    `,
  },
  {
    version: 24,
    name: 'tag-list-order',
    // A tag's live memories in creation order, for pages of a list filtered by tag (postgres-tag-list-order.ts).
    sql: POSTGRES_TAG_LIST_ORDER,
  },
  {
    version: 25,
    name: 'slot-members',
    // The processes using each shared semaphore, with their own limit and lease: the slots are the
    // smallest limit among the live ones (postgres-slot-leases.ts), so replicas configured differently agree.
    sql: `
      CREATE TABLE slot_members (
        semaphore  text        NOT NULL,
        member     text        NOT NULL,
        slot_limit integer     NOT NULL,
        expires_at timestamptz NOT NULL,
        PRIMARY KEY (semaphore, member)
      );
    `,
  },
  {
    version: 26,
    name: 'inline-jobs',
    // The api's in-process jobs, so one answered 202 outlives a crash (JobRecordStore), as SQLite's 034.
    sql: `
      CREATE TABLE inline_jobs (
        seq   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        id    text NOT NULL UNIQUE,
        state text NOT NULL,
        view  text NOT NULL
      );
    `,
  },
  {
    version: 27,
    name: 'current-tallies',
    // Live memories not superseded, by type and by tag: a page's total for either (postgres-current-tallies.ts).
    sql: POSTGRES_CURRENT_TALLIES,
  },
  {
    version: 28,
    name: 'inline-job-owners',
    // The api process keeping each in-process job, so survivors end a dead one's jobs, as SQLite's 036.
    sql: `
      ALTER TABLE inline_jobs ADD COLUMN owner text;
    `,
  },
  {
    version: 29,
    name: 'inline-jobs-namespace',
    // Each in-process job filed under its namespace, pruned one namespace at a time, as SQLite's 037.
    sql: `
      ALTER TABLE inline_jobs ADD COLUMN namespace text NOT NULL DEFAULT '*';
      UPDATE inline_jobs SET namespace = view::jsonb -> 'data' ->> 'namespace'
        WHERE jsonb_typeof(view::jsonb -> 'data' -> 'namespace') = 'string';
      CREATE INDEX inline_jobs_ended_in_namespace ON inline_jobs (namespace, seq)
        WHERE state NOT IN ('waiting', 'active');
    `,
  },
  {
    version: 30,
    name: 'inline-job-cancels',
    // A cancel asked of an in-process job through any api, read by the api running it, as SQLite's 038.
    sql: `
      ALTER TABLE inline_jobs ADD COLUMN cancel_requested boolean NOT NULL DEFAULT false;
      CREATE INDEX inline_jobs_cancel_requested ON inline_jobs (owner)
        WHERE cancel_requested AND state IN ('waiting', 'active');
    `,
  },
  {
    version: 31,
    name: 'list-cursor-key',
    // The secret list cursors seal their row ids with, kept by restores, as SQLite's 039 (64 hex digits,
    // 244 of them random: gen_random_uuid draws from the server's strong random source).
    sql: `
      ALTER TABLE store_identity ADD COLUMN cursor_key text NOT NULL DEFAULT '';
      UPDATE store_identity SET cursor_key = replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', '');
    `,
  },
  {
    version: 32,
    name: 'inline-job-final-steps',
    // Why an in-process job can no longer be cancelled (a restore's swap), refused from a read, as SQLite's 040.
    sql: `
      ALTER TABLE inline_jobs ADD COLUMN uncancellable text;
    `,
  },
  {
    version: 33,
    name: 'failure-limit-entries',
    // Failed credentials and metadata fetches every replica counts together without Redis
    // (postgres-failure-limiter.ts): a row per entry, its key hashed; lapsed rows are swept by expires_at.
    sql: `
      CREATE TABLE failure_limit_entries (
        id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        budget     text   NOT NULL,
        key_digest text   NOT NULL,
        counted_at bigint NOT NULL, -- epoch milliseconds, the server's clock
        expires_at bigint NOT NULL  -- counted_at + the budget's window
      );
      CREATE INDEX failure_limit_entries_key ON failure_limit_entries (budget, key_digest, counted_at);
      CREATE INDEX failure_limit_entries_expiry ON failure_limit_entries (expires_at);
    `,
  },
  {
    version: 34,
    name: 'events',
    // Live events and their replay windows, shared by every replica without Redis (postgres-event.relay.ts).
    // Every publish updates event_order's one row first: the row lock hands out places (and each namespace's
    // ids) in commit order, so a process reading places past its last misses none still to commit.
    sql: `
      CREATE TABLE event_order (
        singleton       integer PRIMARY KEY CHECK (singleton = 1),
        last_place      bigint  NOT NULL DEFAULT 0,
        clock_floor     bigint  NOT NULL DEFAULT 0, -- the latest publisher clock, µs
        charged         bigint  NOT NULL DEFAULT 0, -- what the windows count as against the total
        forgotten_up_to bigint  NOT NULL DEFAULT 0  -- the newest id of a dropped window no longer remembered
      );
      INSERT INTO event_order (singleton) VALUES (1);
      CREATE TABLE event_sequences (
        namespace text   PRIMARY KEY,
        last_id   bigint NOT NULL
      );
      CREATE INDEX event_sequences_by_last_id ON event_sequences (last_id);
      CREATE TABLE events (
        place     bigint  PRIMARY KEY,
        namespace text    NOT NULL,
        id        bigint  NOT NULL,
        kept      boolean NOT NULL, -- in its namespace's replay window; the others pass through
        draft     text    NOT NULL  -- the event as JSON, without its id
      );
      CREATE INDEX events_kept ON events (namespace, id) WHERE kept;
      CREATE INDEX events_passing ON events (place) WHERE NOT kept;
      CREATE TABLE event_windows (
        namespace     text    PRIMARY KEY,
        size          integer NOT NULL,
        newest_id     bigint  NOT NULL,
        last_place    bigint  NOT NULL,
        trimmed_up_to bigint  NOT NULL DEFAULT 0
      );
      CREATE INDEX event_windows_by_activity ON event_windows (last_place);
      CREATE TABLE event_windows_dropped (
        namespace  text   PRIMARY KEY,
        held_up_to bigint NOT NULL
      );
      CREATE INDEX event_windows_dropped_by_held ON event_windows_dropped (held_up_to);
    `,
  },
  {
    version: 35,
    name: 'inline-job-unreported-ends',
    // An in-process job ended by its api as it stopped, to be reported by the api taking it over, as SQLite's 042.
    sql: `
      ALTER TABLE inline_jobs ADD COLUMN end_unreported boolean NOT NULL DEFAULT false;
    `,
  },
  {
    version: 36,
    name: 'inline-jobs-by-namespace',
    // Each namespace's jobs, newest first, listed by every api, as SQLite's 043.
    sql: `
      DROP INDEX inline_jobs_ended_in_namespace;
      CREATE INDEX inline_jobs_in_namespace ON inline_jobs (namespace, seq);
    `,
  },
];

/** Any fixed number: every Engram replica takes this advisory lock to migrate, so one migrates at a time. */
const MIGRATION_LOCK = 0x656e6772; // "engr"

/**
 * Applies pending migrations, each in its own transaction with its `schema_migrations` row. Each
 * transaction first takes a transaction-level advisory lock and then re-reads what is applied, so
 * replicas starting together apply every migration exactly once: the others wait, then find it done. A
 * database newer than this build is refused.
 */
export async function applyPostgresMigrations(
  db: PostgresDatabase,
  migrations: readonly Migration[] = POSTGRES_MIGRATIONS,
): Promise<number[]> {
  const known = Math.max(0, ...migrations.map((migration) => migration.version));
  const applied: number[] = [];
  await underMigrationLock(db, async (client) => {
    await client.query(
      `CREATE TABLE IF NOT EXISTS schema_migrations (
         version integer PRIMARY KEY, name text NOT NULL, applied_at bigint NOT NULL)`,
    );
    const [{ newest }] = await client.query<{ newest: number | null }>(
      'SELECT max(version) AS newest FROM schema_migrations',
    );
    if ((newest ?? 0) > known) {
      throw new Error(
        `The database schema is version ${newest}, newer than this Engram build knows (${known}); upgrade Engram`,
      );
    }
  });
  for (const migration of [...migrations].sort((a, b) => a.version - b.version)) {
    await underMigrationLock(db, async (client) => {
      const done = await client.query('SELECT 1 FROM schema_migrations WHERE version = $1', [migration.version]);
      if (done.length > 0) return;
      await client.query(migration.sql);
      await client.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [
        migration.version,
        migration.name,
        Date.now(),
      ]);
      applied.push(migration.version);
    });
  }
  return applied;
}

/** A transaction holding the migration lock, without the request timeouts: a migration may take long. */
function underMigrationLock(db: PostgresDatabase, work: (client: Queryable) => Promise<void>): Promise<void> {
  return db.transaction(async (client) => {
    await client.query('SET LOCAL statement_timeout = 0');
    await client.query('SET LOCAL lock_timeout = 0');
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await work(client);
  });
}
