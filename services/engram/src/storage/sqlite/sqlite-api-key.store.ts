import { API_KEY_SQL, apiKeyInsertParams, ApiKeyRow, toApiKeyRecord } from '../api-key.sql';
import { ApiKeyRecord, ApiKeyStore } from '../api-key.store';
import { PreparedStatements } from '../prepared-statements';
import { SqliteDatabase } from '../sqlite.connection';

/** ApiKeyStore on SQLite. */
export class SqliteApiKeyStore extends ApiKeyStore {
  private readonly statements: PreparedStatements;

  constructor(db: SqliteDatabase) {
    super();
    this.statements = new PreparedStatements(db);
  }

  async insert(record: ApiKeyRecord, secretHash: string): Promise<void> {
    this.statements.get(API_KEY_SQL.insert).run(...apiKeyInsertParams(record, secretHash));
  }

  async findBySecretHash(secretHash: string): Promise<ApiKeyRecord | undefined> {
    const row = this.statements.get(API_KEY_SQL.bySecretHash).get(secretHash) as ApiKeyRow | undefined;
    return row ? toApiKeyRecord(row) : undefined;
  }

  async findById(id: string): Promise<ApiKeyRecord | undefined> {
    const row = this.statements.get(API_KEY_SQL.byId).get(id) as ApiKeyRow | undefined;
    return row ? toApiKeyRecord(row) : undefined;
  }

  async listWithSecretHashes(): Promise<{ record: ApiKeyRecord; secretHash: string }[]> {
    const rows = this.statements.get(API_KEY_SQL.listWithSecretHashes).all() as (ApiKeyRow & { secret_hash: string })[];
    return rows.map((row) => ({ record: toApiKeyRecord(row), secretHash: row.secret_hash }));
  }

  async list(): Promise<ApiKeyRecord[]> {
    return (this.statements.get(API_KEY_SQL.list).all() as ApiKeyRow[]).map(toApiKeyRecord);
  }

  async countUsableAdmins(now: number): Promise<number> {
    return this.statements.get(API_KEY_SQL.countUsableAdmins).pluck().get(now) as number;
  }

  async countAll(): Promise<number> {
    return this.statements.get(API_KEY_SQL.countAll).pluck().get() as number;
  }

  async markUsed(id: string, at: number): Promise<void> {
    this.statements.get(API_KEY_SQL.markUsed).run(at, id);
  }

  async revoke(id: string, at: number): Promise<boolean> {
    return this.statements.get(API_KEY_SQL.revoke).run(at, id).changes > 0;
  }
}
