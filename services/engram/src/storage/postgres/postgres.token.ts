/** The Nest token of the process's PostgresDatabase (the `postgres` backend), for adapters outside storage/. */
export const POSTGRES_DATABASE = Symbol('POSTGRES_DATABASE');

/** Whether the configured storage backend is PostgreSQL; takes a string so it reads any config's value. */
export function isPostgresBackend(backend: string): boolean {
  return backend === 'postgres';
}
