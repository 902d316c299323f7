import { PreparedStatements } from '../../storage/prepared-statements';
import { SqliteDatabase } from '../../storage/sqlite.connection';
import { Scope } from '../scopes';

export interface ApiKeyRecord {
  id: string;
  name: string;
  prefix: string;
  scopes: Scope[];
  namespace: string | null;
  createdAt: number;
  lastUsedAt: number | null;
  expiresAt: number | null;
  revokedAt: number | null;
}

interface ApiKeyRow {
  id: string;
  name: string;
  prefix: string;
  scopes: string;
  namespace: string | null;
  created_at: number;
  last_used_at: number | null;
  expires_at: number | null;
  revoked_at: number | null;
}

const COLUMNS = 'id, name, prefix, scopes, namespace, created_at, last_used_at, expires_at, revoked_at';

/** Stored API keys; only digests of the secrets. */
export class ApiKeyRepository {
  private readonly statements: PreparedStatements;

  constructor(db: SqliteDatabase) {
    this.statements = new PreparedStatements(db);
  }

  insert(record: ApiKeyRecord, secretHash: string): void {
    this.statements
      .get(
        `INSERT INTO api_keys (id, name, secret_hash, prefix, scopes, namespace, created_at, expires_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        record.id,
        record.name,
        secretHash,
        record.prefix,
        record.scopes.join(' '),
        record.namespace,
        record.createdAt,
        record.expiresAt,
      );
  }

  findBySecretHash(secretHash: string): ApiKeyRecord | undefined {
    const row = this.statements.get(`SELECT ${COLUMNS} FROM api_keys WHERE secret_hash = ?`).get(secretHash);
    return row ? toRecord(row as ApiKeyRow) : undefined;
  }

  findById(id: string): ApiKeyRecord | undefined {
    const row = this.statements.get(`SELECT ${COLUMNS} FROM api_keys WHERE id = ?`).get(id);
    return row ? toRecord(row as ApiKeyRow) : undefined;
  }

  list(): ApiKeyRecord[] {
    return (this.statements.get(`SELECT ${COLUMNS} FROM api_keys ORDER BY created_at`).all() as ApiKeyRow[]).map(
      toRecord,
    );
  }

  /** Unrevoked, unexpired keys with the admin scope and no namespace: they can administer the server. */
  countUsableAdmins(now: number): number {
    return this.statements
      .get(
        `SELECT count(*) FROM api_keys WHERE revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ?)
           AND namespace IS NULL AND (' ' || scopes || ' ') LIKE '% admin %'`,
      )
      .pluck()
      .get(now) as number;
  }

  countAll(): number {
    return this.statements.get('SELECT count(*) FROM api_keys').pluck().get() as number;
  }

  markUsed(id: string, at: number): void {
    this.statements.get('UPDATE api_keys SET last_used_at = ? WHERE id = ?').run(at, id);
  }

  revoke(id: string, at: number): boolean {
    return (
      this.statements.get('UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL').run(at, id)
        .changes > 0
    );
  }
}

function toRecord(row: ApiKeyRow): ApiKeyRecord {
  return {
    id: row.id,
    name: row.name,
    prefix: row.prefix,
    scopes: row.scopes.split(' ') as Scope[],
    namespace: row.namespace,
    createdAt: row.created_at,
    lastUsedAt: row.last_used_at,
    expiresAt: row.expires_at,
    revokedAt: row.revoked_at,
  };
}
