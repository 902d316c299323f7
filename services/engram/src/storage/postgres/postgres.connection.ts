import { StoreBusy } from '../../common/domain-errors';
import { ServiceUnreachable } from '../../common/service-unreachable';
import { ConfigError } from '../../config/config.loader';
import { canonicalModelId } from '../embedding-model-id';
import { EmbeddingModel, EmbeddingModelMismatch, ModelMismatchPolicy } from '../embedding-model.binding';
import { applyPostgresMigrations } from './postgres.migrations';
import { describePostgresUrl } from '../store-location';
import { PostgresConfig } from '../../config/config.types';
import { PostgresDatabase, Queryable } from './postgres.database';
import { createVectorIndex, createVectorTable } from './postgres-vector-table';

const MIN_SERVER_VERSION = 150000;
const MIN_PGVECTOR = [0, 7];
/** Serialises model binding across replicas starting together (migrations have their own lock). */
const BINDING_LOCK = 0x656e6762; // "engb"
/** Serialises creating pgvector: two sessions creating it at once collide in the catalog. */
const EXTENSION_LOCK = 0x656e6778; // "engx"

/** A PostgreSQL server this adapter cannot use; the message names what to run or change. */
export class PostgresUnsupported extends Error {}

/** The server cannot be reached: start-up names the database and why, never the password (exit 69). */
export class PostgresUnreachable extends ServiceUnreachable {
  constructor(
    readonly label: string,
    /** The driver's words (connect ECONNREFUSED …), for a caller that names the database its own way. */
    readonly reason: string,
  ) {
    super(`Cannot use the PostgreSQL database ${label}: ${reason} (check DATABASE_URL and that the server runs)`);
  }
}

/**
 * The server answers but refuses this login (a wrong user or password, a database that does not exist):
 * configuration found wrong only when the database opens, as a wrong encryption key is (exit 78).
 */
export class PostgresLoginRefused extends ConfigError {
  constructor(
    readonly label: string,
    readonly reason: string,
  ) {
    super([
      `The PostgreSQL database ${label} refused the login: ${reason} (check the user, password and database in DATABASE_URL)`,
    ]);
  }
}

/** SQLSTATEs of a refused login: invalid_password, invalid_authorization_specification, invalid_catalog_name. */
const LOGIN_REFUSED = new Set(['28P01', '28000', '3D000']);
/** too_many_connections: the server is up and full, which frees up (exit 75, not 69). */
const SERVER_FULL = '53300';

/**
 * Connects the pool, checks the server (PostgreSQL 15+, pgvector 0.7+, created here when the role may),
 * runs the migrations and binds the embedding model, as openSqliteDatabase does for SQLite. The worker
 * and CLI pass `keep-stored`, so they can open another model's database to reindex it.
 */
export async function openPostgresDatabase(
  settings: PostgresConfig,
  model?: EmbeddingModel,
  onMismatch: ModelMismatchPolicy = 'refuse',
): Promise<PostgresDatabase> {
  const db = new PostgresDatabase(settings);
  try {
    await checkServer(db, describePostgresUrl(settings.url));
    await applyPostgresMigrations(db);
    // Operator commands that never touch vectors (keys, audit) open the store without binding a model.
    if (model) await bindPostgresModel(db, describePostgresUrl(settings.url), model, onMismatch);
    return db;
  } catch (error) {
    await db.close();
    throw error;
  }
}

async function checkServer(db: PostgresDatabase, label: string): Promise<void> {
  let version: string;
  try {
    // The pool itself, not db.query: a first connection that times out is a server not answering, not a busy pool.
    const { rows } = await db.pool.query<{ version: string }>(
      "SELECT current_setting('server_version_num') AS version",
    );
    [{ version }] = rows;
  } catch (error) {
    throw firstContactFailure(error, label);
  }
  if (Number(version) < MIN_SERVER_VERSION) {
    throw new PostgresUnsupported(`PostgreSQL ${version} is too old: Engram needs PostgreSQL 15 or newer`);
  }
  try {
    await createPgvector(db);
  } catch (error) {
    throw new PostgresUnsupported(
      `The pgvector extension is missing and this role may not create it (${(error as Error).message}): ` +
        'install pgvector 0.7+ on the server and run `CREATE EXTENSION vector;` in this database as its owner',
    );
  }
  const [{ extversion }] = await db.query<{ extversion: string }>(
    "SELECT extversion FROM pg_extension WHERE extname = 'vector'",
  );
  if (!atLeast(extversion, MIN_PGVECTOR)) {
    throw new PostgresUnsupported(
      `pgvector ${extversion} is too old: Engram needs 0.7 or newer (run \`ALTER EXTENSION vector UPDATE;\`)`,
    );
  }
}

/** Why the first statement failed, as the error its exit code follows from. */
function firstContactFailure(error: unknown, label: string): Error {
  const reason = (error as Error).message;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && LOGIN_REFUSED.has(code)) return new PostgresLoginRefused(label, reason);
  if (code === SERVER_FULL)
    return new StoreBusy(`The PostgreSQL server ${label} has no connection free (${reason}); retry shortly`);
  return new PostgresUnreachable(label, reason);
}

/**
 * CREATE EXTENSION IF NOT EXISTS is not safe against itself: replicas starting together on a new database
 * both find no pgvector, and the second to insert it into pg_extension fails with a unique violation. Under
 * a lock, the second waits and then finds it there.
 */
async function createPgvector(db: PostgresDatabase): Promise<void> {
  await db.transaction(async (client) => {
    await client.query('SELECT pg_advisory_xact_lock($1)', [EXTENSION_LOCK]);
    await client.query('CREATE EXTENSION IF NOT EXISTS vector');
  });
}

/**
 * Ties the database to one embedding model, as bindEmbeddingModel does for SQLite: a new database records
 * the model and creates the vector table at its dimension with an HNSW cosine index; another model's
 * database is refused unless it holds no vectors yet.
 */
async function bindPostgresModel(
  db: PostgresDatabase,
  label: string,
  model: EmbeddingModel,
  onMismatch: ModelMismatchPolicy,
): Promise<void> {
  await db.transaction(async (client) => {
    await client.query('SELECT pg_advisory_xact_lock($1)', [BINDING_LOCK]);
    const stored = canonicalModelId(await readSetting(client, 'embedding_model'));
    const storedDimension = Number((await readSetting(client, 'embedding_dimension')) ?? 0);
    if (stored !== undefined && (stored !== model.modelId || storedDimension !== model.dimension)) {
      const [vectors] = await client.query<{ count: number }>('SELECT count(*) AS count FROM memory_embeddings');
      if (vectors.count > 0) {
        if (onMismatch === 'keep-stored') return;
        throw new EmbeddingModelMismatch(label, stored, storedDimension, model.modelId, model.dimension);
      }
      await client.query('DROP TABLE memory_embeddings');
    }
    await client.query(
      `INSERT INTO settings (key, value) VALUES ('embedding_model', $1), ('embedding_dimension', $2)
       ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
      [model.modelId, String(model.dimension)],
    );
    await createVectorTable(client, model.dimension);
    await createVectorIndex(client);
  });
}

async function readSetting(client: Queryable, key: string): Promise<string | undefined> {
  const [row] = await client.query<{ value: string }>('SELECT value FROM settings WHERE key = $1', [key]);
  return row?.value;
}

/** pgvector 0.8 added iterative index scans (filtered HNSW searches that keep looking). */
export async function hasIterativeScans(db: PostgresDatabase): Promise<boolean> {
  const [row] = await db.query<{ extversion: string }>("SELECT extversion FROM pg_extension WHERE extname = 'vector'");
  return atLeast(row.extversion, [0, 8]);
}

function atLeast(version: string, [wantedMajor, wantedMinor]: readonly number[]): boolean {
  const [major, minor] = version.split('.').map(Number);
  return major > wantedMajor || (major === wantedMajor && minor >= wantedMinor);
}
