import { Scope } from '../auth/scopes';
import { ApiKeyRecord } from './api-key.store';

/** An `api_keys` row; both engines store epoch milliseconds as integers and scopes space-separated. */
export interface ApiKeyRow {
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

/** The statements both adapters run, with SQLite's `?` placeholders (`numbered()` for PostgreSQL). */
export const API_KEY_SQL = {
  insert: `INSERT INTO api_keys (id, name, secret_hash, prefix, scopes, namespace, created_at, expires_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
  bySecretHash: `SELECT ${COLUMNS} FROM api_keys WHERE secret_hash = ?`,
  byId: `SELECT ${COLUMNS} FROM api_keys WHERE id = ?`,
  list: `SELECT ${COLUMNS} FROM api_keys ORDER BY created_at, id`,
  listWithSecretHashes: `SELECT ${COLUMNS}, secret_hash FROM api_keys ORDER BY created_at, id`,
  countUsableAdmins: `SELECT count(*) AS count FROM api_keys
    WHERE revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ?)
      AND namespace IS NULL AND (' ' || scopes || ' ') LIKE '% admin %'`,
  countAll: 'SELECT count(*) AS count FROM api_keys',
  markUsed: 'UPDATE api_keys SET last_used_at = ? WHERE id = ?',
  revoke: 'UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL',
} as const;

/** The insert's parameters, in API_KEY_SQL.insert's order. */
export function apiKeyInsertParams(record: ApiKeyRecord, secretHash: string): unknown[] {
  return [
    record.id,
    record.name,
    secretHash,
    record.prefix,
    record.scopes.join(' '),
    record.namespace,
    record.createdAt,
    record.expiresAt,
  ];
}

export function toApiKeyRecord(row: ApiKeyRow): ApiKeyRecord {
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
