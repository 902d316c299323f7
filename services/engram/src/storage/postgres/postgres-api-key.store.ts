import { API_KEY_SQL, apiKeyInsertParams, ApiKeyRow, toApiKeyRecord } from '../api-key.sql';
import { ApiKeyRecord, ApiKeyStore } from '../api-key.store';
import { numbered, PostgresDatabase } from './postgres.database';

/** ApiKeyStore on PostgreSQL: the same statements as SQLite, each a single (atomic) statement. */
export class PostgresApiKeyStore extends ApiKeyStore {
  constructor(private readonly db: PostgresDatabase) {
    super();
  }

  async insert(record: ApiKeyRecord, secretHash: string): Promise<void> {
    await this.db.query(numbered(API_KEY_SQL.insert), apiKeyInsertParams(record, secretHash));
  }

  async findBySecretHash(secretHash: string): Promise<ApiKeyRecord | undefined> {
    const [row] = await this.db.query<ApiKeyRow>(numbered(API_KEY_SQL.bySecretHash), [secretHash]);
    return row ? toApiKeyRecord(row) : undefined;
  }

  async findById(id: string): Promise<ApiKeyRecord | undefined> {
    const [row] = await this.db.query<ApiKeyRow>(numbered(API_KEY_SQL.byId), [id]);
    return row ? toApiKeyRecord(row) : undefined;
  }

  async listWithSecretHashes(): Promise<{ record: ApiKeyRecord; secretHash: string }[]> {
    const rows = await this.db.query<ApiKeyRow & { secret_hash: string }>(API_KEY_SQL.listWithSecretHashes);
    return rows.map((row) => ({ record: toApiKeyRecord(row), secretHash: row.secret_hash }));
  }

  async list(): Promise<ApiKeyRecord[]> {
    return (await this.db.query<ApiKeyRow>(API_KEY_SQL.list)).map(toApiKeyRecord);
  }

  async countUsableAdmins(now: number): Promise<number> {
    const [row] = await this.db.query<{ count: number }>(numbered(API_KEY_SQL.countUsableAdmins), [now]);
    return row.count;
  }

  async countAll(): Promise<number> {
    const [row] = await this.db.query<{ count: number }>(API_KEY_SQL.countAll);
    return row.count;
  }

  async markUsed(id: string, at: number): Promise<void> {
    await this.db.query(numbered(API_KEY_SQL.markUsed), [at, id]);
  }

  async revoke(id: string, at: number): Promise<boolean> {
    const rows = await this.db.query(`${numbered(API_KEY_SQL.revoke)} RETURNING id`, [at, id]);
    return rows.length > 0;
  }
}
