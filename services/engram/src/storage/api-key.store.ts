import { Scope } from '../auth/scopes';

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

/** Stored API keys (`api_keys`): only digests of the secrets, never the secrets. */
export abstract class ApiKeyStore {
  abstract insert(record: ApiKeyRecord, secretHash: string): Promise<void>;
  abstract findBySecretHash(secretHash: string): Promise<ApiKeyRecord | undefined>;
  abstract findById(id: string): Promise<ApiKeyRecord | undefined>;
  /** Every key with its secret's digest, oldest first: what `engram migrate-storage` copies. */
  abstract listWithSecretHashes(): Promise<{ record: ApiKeyRecord; secretHash: string }[]>;
  /** Every key, revoked and expired ones included, oldest first. */
  abstract list(): Promise<ApiKeyRecord[]>;
  /** Unrevoked, unexpired keys with the admin scope and no namespace: they can administer the server. */
  abstract countUsableAdmins(now: number): Promise<number>;
  /** Every key ever created, revoked ones included. */
  abstract countAll(): Promise<number>;
  abstract markUsed(id: string, at: number): Promise<void>;
  /** Revokes the key once: false when it is unknown or already revoked (the first revocation time stays). */
  abstract revoke(id: string, at: number): Promise<boolean>;
}
