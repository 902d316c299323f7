import { SlotLeases } from '../slot-leases';
import { lockKeyForTransaction, PostgresDatabase } from './postgres.database';

/** `leaseMs` ($n, milliseconds) from now by the server's clock. */
const LEASE_END = (n: number) => `clock_timestamp() + $${n} * interval '1 millisecond'`;

/**
 * SlotLeases on PostgreSQL (migration 23): a row per ticket, its place in line from an identity column.
 * A claim runs under a transaction-level lock on its semaphore, so places are handed out in the order
 * claims commit and no two racing claims can each count the line without the other and both hold the
 * last slot; renewing and releasing touch only their own row.
 */
export class PostgresSlotLeases implements SlotLeases {
  constructor(private readonly db: PostgresDatabase) {}

  claim(semaphore: string, ticket: string, size: number, leaseMs: number): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      await lockKeyForTransaction(tx, 'slot_leases', semaphore);
      await tx.query('DELETE FROM slot_leases WHERE semaphore = $1 AND expires_at <= clock_timestamp()', [semaphore]);
      const [{ place }] = await tx.query<{ place: number }>(
        `INSERT INTO slot_leases (semaphore, ticket, expires_at) VALUES ($1, $2, ${LEASE_END(3)})
         ON CONFLICT (semaphore, ticket) DO UPDATE SET expires_at = EXCLUDED.expires_at
         RETURNING place`,
        [semaphore, ticket, leaseMs],
      );
      const [{ ahead }] = await tx.query<{ ahead: number }>(
        'SELECT count(*) AS ahead FROM slot_leases WHERE semaphore = $1 AND place < $2',
        [semaphore, place],
      );
      return ahead < size;
    });
  }

  async renew(semaphore: string, ticket: string, leaseMs: number): Promise<void> {
    await this.db.query(
      `UPDATE slot_leases SET expires_at = ${LEASE_END(3)}
        WHERE semaphore = $1 AND ticket = $2 AND expires_at > clock_timestamp()`,
      [semaphore, ticket, leaseMs],
    );
  }

  async release(semaphore: string, ticket: string): Promise<void> {
    await this.db.query('DELETE FROM slot_leases WHERE semaphore = $1 AND ticket = $2', [semaphore, ticket]);
  }
}
