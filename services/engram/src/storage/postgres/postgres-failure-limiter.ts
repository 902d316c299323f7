import {
  BudgetPlace,
  emptyReservation,
  FailureBudget,
  FailureLimiter,
  keyDigest,
  Reservation,
  waitInSeconds,
} from '../../auth/failure-limiter';
import { lockKeyForTransaction, PostgresDatabase, Queryable } from './postgres.database';

/** The time counted at, in epoch ms: $1 when the limiter was given a clock, else the server's, as every replica reads. */
const CLOCK = `clock AS (SELECT COALESCE($1::bigint, floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint) AS now)`;

/** The places asked about: $2 budgets, $3 key digests, $4 windows in ms, $5 limits, one element each. */
const PLACES = `places AS (
  SELECT * FROM unnest($2::text[], $3::text[], $4::bigint[], $5::int[]) AS p(budget, key_digest, window_ms, max_count))`;

/**
 * 0 when every place has room; else the ms until all have: a place is full while `limit` entries are in its
 * window, until the oldest of the newest `limit` leaves it.
 */
const WAIT = `wait AS (
  SELECT coalesce(max(greatest(1, newest.counted_at + places.window_ms - clock.now)), 0) AS ms
    FROM clock, places CROSS JOIN LATERAL (
      SELECT counted_at FROM failure_limit_entries e
       WHERE e.budget = places.budget AND e.key_digest = places.key_digest
         AND e.counted_at > clock.now - places.window_ms
       ORDER BY e.counted_at DESC OFFSET places.max_count - 1 LIMIT 1) newest)`;

/**
 * Deletes up to 64 lapsed entries of any key, more than a write adds, so a flood of distinct addresses
 * leaves no more rows than its windows hold; rows another write is deleting are skipped, never waited for.
 */
const SWEEP = `swept AS (
  DELETE FROM failure_limit_entries WHERE id IN (
    SELECT id FROM failure_limit_entries, clock WHERE expires_at <= clock.now
     ORDER BY expires_at LIMIT 64 FOR UPDATE OF failure_limit_entries SKIP LOCKED))`;

/** Takes a place in each, if every one has room: the wait (0 when taken) and the entries added. */
const RESERVE = `WITH ${CLOCK}, ${PLACES}, ${WAIT},
  taken AS (
    INSERT INTO failure_limit_entries (budget, key_digest, counted_at, expires_at)
    SELECT budget, key_digest, clock.now, clock.now + window_ms FROM clock, places, wait WHERE wait.ms = 0
    RETURNING id),
  ${SWEEP}
  SELECT (SELECT ms FROM wait) AS wait_ms, ARRAY(SELECT id FROM taken)::text[] AS ids`;

/**
 * Counts one failure whatever the budget holds, keeping the newest `limit` of its key (all an answer needs),
 * so one key's flood costs a constant number of rows. The statement does not see its own insert: the
 * older entries past the newest `limit - 1` go. It takes no lock: rows another write holds are skipped,
 * left for the next failure to trim, so failures flooding one key never queue behind each other.
 */
const RECORD = `WITH ${CLOCK}, ${PLACES},
  added AS (
    INSERT INTO failure_limit_entries (budget, key_digest, counted_at, expires_at)
    SELECT budget, key_digest, clock.now, clock.now + window_ms FROM clock, places),
  trimmed AS (
    DELETE FROM failure_limit_entries WHERE id IN (
      SELECT e.id FROM failure_limit_entries e, places
       WHERE e.budget = places.budget AND e.key_digest = places.key_digest
       ORDER BY e.counted_at DESC, e.id DESC OFFSET (SELECT max_count FROM places) - 1
       FOR UPDATE OF e SKIP LOCKED)),
  ${SWEEP}
  SELECT 0`;

const RETRY = `WITH ${CLOCK}, ${PLACES}, ${WAIT} SELECT ms AS wait_ms FROM wait`;

/**
 * The FailureLimiter every replica on one PostgreSQL database shares without Redis: a row per failure or
 * place taken (migration 33), under the key's digest. A reservation holds a transaction-level lock on each
 * budget's key, taken in one order, so its count and add are one step across replicas and two reservations
 * cannot deadlock; failures recorded after the fact and reads take no lock. Windows run on the server's clock.
 */
export class PostgresFailureLimiter implements FailureLimiter {
  /** `clock` replaces the server's (tests put two replicas' entries in one millisecond with it). */
  constructor(
    private readonly db: PostgresDatabase,
    private readonly clock?: () => number,
  ) {}

  async retryAfterSeconds(budget: FailureBudget, key: string): Promise<number> {
    const waitMs = await this.waitMs([{ budget, key }]);
    return waitMs === 0 ? 0 : waitInSeconds(waitMs);
  }

  async recordFailure(budget: FailureBudget, key: string): Promise<void> {
    await this.db.query(RECORD, this.params([{ budget, key }]));
  }

  async reserve(places: readonly BudgetPlace[]): Promise<Reservation> {
    // A spent budget stays spent until an entry leaves or is given back: refused without queueing for the
    // locks, so a flood of refused attempts does not hold up the ones with room.
    const spentMs = await this.waitMs(places);
    if (spentMs > 0) return emptyReservation(waitInSeconds(spentMs));
    const [{ wait_ms, ids }] = await this.underLocks(places, (tx) =>
      tx.query<{ wait_ms: number; ids: string[] }>(RESERVE, this.params(places)),
    );
    if (wait_ms > 0) return emptyReservation(waitInSeconds(wait_ms));
    const release = async () =>
      void (await this.db.query('DELETE FROM failure_limit_entries WHERE id = ANY($1::bigint[])', [ids]));
    return { retryAfterSeconds: 0, release };
  }

  private async waitMs(places: readonly BudgetPlace[]): Promise<number> {
    const [{ wait_ms }] = await this.db.query<{ wait_ms: number }>(RETRY, this.params(places));
    return wait_ms;
  }

  /** Runs `work` in a transaction holding the lock of every place's budget and key, taken in sorted order. */
  private underLocks<T>(places: readonly BudgetPlace[], work: (tx: Queryable) => Promise<T>): Promise<T> {
    const locks = [...new Set(places.map(({ budget, key }) => `${budget.name}:${keyDigest(key)}`))].sort();
    return this.db.transaction(async (tx) => {
      for (const lock of locks) await lockKeyForTransaction(tx, 'failure_limits', lock);
      return work(tx);
    });
  }

  private params(places: readonly BudgetPlace[]): unknown[] {
    return [
      this.clock?.() ?? null,
      places.map(({ budget }) => budget.name),
      places.map(({ key }) => keyDigest(key)),
      places.map(({ budget }) => budget.windowMs),
      places.map(({ budget }) => budget.limit),
    ];
  }
}
