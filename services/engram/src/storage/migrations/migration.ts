/** One numbered schema change; applied once, inside a transaction, in version order. */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}
