import { SlotClaim, SlotLeases, SlotMember } from '../slot-leases';
import { lockKeyForTransaction, PostgresDatabase, Queryable } from './postgres.database';

/** `leaseMs` ($n, milliseconds) from now by the server's clock. */
const LEASE_END = (n: number) => `clock_timestamp() + $${n} * interval '1 millisecond'`;

/**
 * Keeps member $2 (limit $3) live for $4 ms and answers the smallest limit of the live members: its own
 * limit against the others', as one statement does not see its own upsert.
 */
const ATTEND = `
  WITH me AS (
    INSERT INTO slot_members (semaphore, member, slot_limit, expires_at) VALUES ($1, $2, $3, ${LEASE_END(4)})
    ON CONFLICT (semaphore, member) DO UPDATE SET slot_limit = EXCLUDED.slot_limit, expires_at = EXCLUDED.expires_at
    RETURNING slot_limit)
  SELECT LEAST((SELECT slot_limit FROM me), (
    SELECT min(slot_limit) FROM slot_members
     WHERE semaphore = $1 AND member <> $2 AND expires_at > clock_timestamp())) AS size`;

/**
 * SlotLeases on PostgreSQL: a row per ticket (migration 23), its place in line from an identity column,
 * and a row per member with its limit (migration 25). A claim runs under a transaction-level lock on its
 * semaphore, so places are handed out in the order claims commit and no two racing claims can each count
 * the line without the other and both hold the last slot; renewing and releasing touch only their own row.
 */
export class PostgresSlotLeases implements SlotLeases {
  constructor(private readonly db: PostgresDatabase) {}

  attend(semaphore: string, member: SlotMember, leaseMs: number): Promise<number> {
    return this.attendOn(this.db, semaphore, member, leaseMs);
  }

  async leave(semaphore: string, memberId: string): Promise<void> {
    await this.db.query('DELETE FROM slot_members WHERE semaphore = $1 AND member = $2', [semaphore, memberId]);
  }

  claim(semaphore: string, member: SlotMember, ticket: string, leaseMs: number): Promise<SlotClaim> {
    return this.db.transaction(async (tx) => {
      await lockKeyForTransaction(tx, 'slot_leases', semaphore);
      await tx.query(
        `WITH lapsed AS (DELETE FROM slot_members WHERE semaphore = $1 AND expires_at <= clock_timestamp())
         DELETE FROM slot_leases WHERE semaphore = $1 AND expires_at <= clock_timestamp()`,
        [semaphore],
      );
      const size = await this.attendOn(tx, semaphore, member, leaseMs);
      // The statement's snapshot holds every ticket ahead; the one it inserts is never ahead of itself.
      const [{ ahead }] = await tx.query<{ ahead: number }>(
        `WITH mine AS (
           INSERT INTO slot_leases (semaphore, ticket, expires_at) VALUES ($1, $2, ${LEASE_END(3)})
           ON CONFLICT (semaphore, ticket) DO UPDATE SET expires_at = EXCLUDED.expires_at
           RETURNING place)
         SELECT count(*)::int AS ahead FROM slot_leases, mine WHERE semaphore = $1 AND slot_leases.place < mine.place`,
        [semaphore, ticket, leaseMs],
      );
      return { held: ahead < size, size };
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

  private async attendOn(on: Queryable, semaphore: string, member: SlotMember, leaseMs: number): Promise<number> {
    const [{ size }] = await on.query<{ size: number }>(ATTEND, [semaphore, member.id, member.limit, leaseMs]);
    return size;
  }
}
