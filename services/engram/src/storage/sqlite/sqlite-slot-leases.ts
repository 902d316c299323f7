import { PreparedStatements } from '../prepared-statements';
import { SlotClaim, SlotLeases, SlotMember } from '../slot-leases';
import { SqliteDatabase } from '../sqlite.connection';

/**
 * SlotLeases in the SQLite file (migration 33), shared by every process that opens it: `engram serve`,
 * its worker and `engram mcp` over stdio. A claim is one BEGIN IMMEDIATE transaction, which holds the
 * file's write lock from its first read, so two processes never both count the line without the other.
 * Leases run on the machine's clock, the one clock processes sharing a file have.
 */
export class SqliteSlotLeases implements SlotLeases {
  private readonly statements: PreparedStatements;

  constructor(private readonly db: SqliteDatabase) {
    this.statements = new PreparedStatements(db);
  }

  async attend(semaphore: string, member: SlotMember, leaseMs: number): Promise<number> {
    return this.db.transaction(() => this.attendNow(semaphore, member, Date.now(), leaseMs)).immediate();
  }

  async leave(semaphore: string, memberId: string): Promise<void> {
    this.statements.get('DELETE FROM slot_members WHERE semaphore = ? AND member = ?').run(semaphore, memberId);
  }

  async claim(semaphore: string, member: SlotMember, ticket: string, leaseMs: number): Promise<SlotClaim> {
    const claim = () => {
      const now = Date.now();
      this.statements.get('DELETE FROM slot_leases WHERE semaphore = ? AND expires_at <= ?').run(semaphore, now);
      const size = this.attendNow(semaphore, member, now, leaseMs);
      const place = this.statements
        .get(
          `INSERT INTO slot_leases (semaphore, ticket, expires_at) VALUES (?, ?, ?)
           ON CONFLICT (semaphore, ticket) DO UPDATE SET expires_at = excluded.expires_at RETURNING place`,
        )
        .pluck()
        .get(semaphore, ticket, now + leaseMs) as number;
      const ahead = this.statements
        .get('SELECT count(*) FROM slot_leases WHERE semaphore = ? AND place < ?')
        .pluck()
        .get(semaphore, place) as number;
      return { held: ahead < size, size };
    };
    return this.db.transaction(claim).immediate();
  }

  async renew(semaphore: string, ticket: string, leaseMs: number): Promise<void> {
    const now = Date.now();
    this.statements
      .get('UPDATE slot_leases SET expires_at = ? WHERE semaphore = ? AND ticket = ? AND expires_at > ?')
      .run(now + leaseMs, semaphore, ticket, now);
  }

  async release(semaphore: string, ticket: string): Promise<void> {
    this.statements.get('DELETE FROM slot_leases WHERE semaphore = ? AND ticket = ?').run(semaphore, ticket);
  }

  /** Sweeps the lapsed members, keeps this one live, and answers the smallest limit of the live ones. */
  private attendNow(semaphore: string, member: SlotMember, now: number, leaseMs: number): number {
    this.statements.get('DELETE FROM slot_members WHERE semaphore = ? AND expires_at <= ?').run(semaphore, now);
    this.statements
      .get(
        `INSERT INTO slot_members (semaphore, member, slot_limit, expires_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (semaphore, member) DO UPDATE SET slot_limit = excluded.slot_limit, expires_at = excluded.expires_at`,
      )
      .run(semaphore, member.id, member.limit, now + leaseMs);
    return this.statements
      .get('SELECT min(slot_limit) FROM slot_members WHERE semaphore = ?')
      .pluck()
      .get(semaphore) as number;
  }
}
