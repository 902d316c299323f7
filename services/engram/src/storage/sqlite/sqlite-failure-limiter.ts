import { Logger } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  BudgetPlace,
  emptyReservation,
  FailureBudget,
  FailureLimiter,
  InMemoryFailureLimiter,
  keyDigest,
  Reservation,
  waitInSeconds,
} from '../../auth/failure-limiter';
import { PreparedStatements } from '../prepared-statements';
import { SqliteDatabase } from '../sqlite.connection';
import { withoutLockWait } from './without-lock-wait';

/**
 * How long a write keeps trying for another connection's write lock before this process counts on its own.
 * SQLite waits by blocking the thread, so each try takes the lock or answers at once, and the tries are
 * spaced out by timers: the event loop serves other requests meanwhile. Long enough that processes counting
 * at once on a busy machine never give up on each other, short enough that a wrong credential behind a
 * restore's swap is answered soon.
 */
const WRITE_PATIENCE_MS = 2_000;
/** The longest pause between two tries; the first is 1 ms, each one after twice the last. */
const MAX_PAUSE_MS = 50;
/** After a write found the file held past WRITE_PATIENCE_MS: how long this process counts on its own, trying nothing. */
const OWN_COUNT_MS = 5_000;

/** The newest `limit`-th entry of a key still in its window; the place is full until it leaves. */
const NTH_NEWEST = `SELECT counted_at FROM failure_limit_entries
  WHERE budget = ? AND key_digest = ? AND counted_at > ? ORDER BY counted_at DESC LIMIT 1 OFFSET ?`;
/** A key's newest `limit` entries still in their window, newest first. */
const NEWEST = `SELECT counted_at FROM failure_limit_entries
  WHERE budget = ? AND key_digest = ? AND counted_at > ? ORDER BY counted_at DESC LIMIT ?`;
const ADD = 'INSERT INTO failure_limit_entries (budget, key_digest, counted_at, expires_at) VALUES (?, ?, ?, ?)';
/** Keeps a key's newest `limit` entries, all an answer needs, so one key's flood costs constant rows. */
const TRIM = `DELETE FROM failure_limit_entries WHERE id IN (
  SELECT id FROM failure_limit_entries WHERE budget = ? AND key_digest = ?
   ORDER BY counted_at DESC, id DESC LIMIT -1 OFFSET ?)`;
/** Up to 64 lapsed entries of any key, more than a write adds: a flood of addresses leaves no more rows than its windows hold. */
const SWEEP = `DELETE FROM failure_limit_entries WHERE id IN (
  SELECT id FROM failure_limit_entries WHERE expires_at <= ? ORDER BY expires_at LIMIT 64)`;

/** A write transaction (BEGIN IMMEDIATE) that runs the work it is given. */
type ImmediateTransaction = { immediate<T>(work: () => T): T };

/**
 * The FailureLimiter every process opening one SQLite file shares without Redis (`engram serve` replicas on
 * one volume, the CLI): a row per failure or place taken (migration 41) under the key's digest, as
 * PostgresFailureLimiter. A reservation checks and takes in one BEGIN IMMEDIATE transaction, which holds the
 * file's write lock from its first read, so no other process counts between them. Reads take no lock (WAL),
 * and a budget already spent is refused by a read alone. Windows run on the machine's clock, the one clock
 * processes sharing a file have. While another connection holds the file past WRITE_PATIENCE_MS (a restore's
 * swap, a reindex switch) this process counts what it cannot write in memory, as the Redis limiter does while
 * Redis is away, and adds that count to the file's; what it counted so stays in this process, unseen by the others.
 */
export class SqliteFailureLimiter implements FailureLimiter {
  private readonly logger = new Logger('FailureLimiter');
  private readonly statements: PreparedStatements;
  /** One transaction that runs the work it is given, made once: making one costs about what a small write does. */
  private readonly inTransaction: ImmediateTransaction;
  /** What this process counted while the file was held: not in the file, so added to its count. */
  private readonly ownCount: InMemoryFailureLimiter;
  /** performance.now() until which writes are not tried; undefined while the file takes them. */
  private ownCountUntil: number | undefined;
  private readonly now: () => number;

  /** `clock` replaces the machine's (tests put two processes' entries in one millisecond with it). */
  constructor(db: SqliteDatabase, clock?: () => number) {
    this.statements = new PreparedStatements(db);
    this.inTransaction = db.transaction((work: () => unknown) => work()) as ImmediateTransaction;
    this.now = clock ?? Date.now;
    this.ownCount = new InMemoryFailureLimiter(undefined, this.now);
  }

  async retryAfterSeconds(budget: FailureBudget, key: string): Promise<number> {
    return this.waitSeconds([{ budget, key }], this.now());
  }

  async recordFailure(budget: FailureBudget, key: string): Promise<void> {
    const recorded = await this.write(() => {
      const now = this.now();
      const digest = keyDigest(key);
      this.statements.get(ADD).run(budget.name, digest, now, now + budget.windowMs);
      this.statements.get(TRIM).run(budget.name, digest, budget.limit);
      this.statements.get(SWEEP).run(now);
      return true;
    });
    if (!recorded) await this.ownCount.recordFailure(budget, key);
  }

  async reserve(places: readonly BudgetPlace[]): Promise<Reservation> {
    const spent = this.waitSeconds(places, this.now());
    if (spent > 0) return emptyReservation(spent);
    const taken = await this.write(() => {
      const now = this.now();
      const waitMs = this.waitMs(places, now);
      if (waitMs > 0) return { waitMs, ids: [] };
      const ids = places.map(({ budget, key }) =>
        Number(this.statements.get(ADD).run(budget.name, keyDigest(key), now, now + budget.windowMs).lastInsertRowid),
      );
      this.statements.get(SWEEP).run(now);
      return { waitMs: 0, ids };
    });
    if (taken === undefined) {
      // Checked again with what this process counted on its own, in one step with taking it there.
      const spentNow = this.waitSeconds(places, this.now());
      return spentNow > 0 ? emptyReservation(spentNow) : this.ownCount.reserve(places);
    }
    if (taken.waitMs > 0) return emptyReservation(waitInSeconds(taken.waitMs));
    // A place the file cannot take back now stays counted until it leaves its window.
    const release = async () =>
      void (await this.write(() => {
        for (const id of taken.ids) this.statements.get('DELETE FROM failure_limit_entries WHERE id = ?').run(id);
        return true;
      }));
    return { retryAfterSeconds: 0, release };
  }

  /** The seconds until every place has room, counting the file and what this process counted on its own. */
  private waitSeconds(places: readonly BudgetPlace[], now: number): number {
    const waitMs = this.waitMs(places, now);
    return waitMs === 0 ? 0 : waitInSeconds(waitMs);
  }

  /** 0 when every place has room; else the ms until all have. */
  private waitMs(places: readonly BudgetPlace[], now: number): number {
    let waitMs = 0;
    for (const place of places) {
      const nth = this.nthNewest(place, now);
      if (nth !== undefined) waitMs = Math.max(waitMs, nth + place.budget.windowMs - now, 1);
    }
    return waitMs;
  }

  /** The newest `limit`-th entry of the place's key in its window, of the file's and this process's own. */
  private nthNewest({ budget, key }: BudgetPlace, now: number): number | undefined {
    const inWindow = [budget.name, keyDigest(key), now - budget.windowMs];
    const own = this.ownCount.countedTimes(budget, key);
    if (own.length === 0) {
      return this.statements
        .get(NTH_NEWEST)
        .pluck()
        .get(...inWindow, budget.limit - 1) as number | undefined;
    }
    const shared = this.statements
      .get(NEWEST)
      .pluck()
      .all(...inWindow, budget.limit) as number[];
    return [...shared, ...own].sort((a, b) => b - a)[budget.limit - 1];
  }

  /**
   * Runs `work` in a BEGIN IMMEDIATE transaction once the file's write lock is free, trying for up to
   * WRITE_PATIENCE_MS; undefined when it was held longer, then and for OWN_COUNT_MS after, so a long lock
   * elsewhere delays one request's answer, and no request holds the event loop.
   */
  private async write<T>(work: () => T): Promise<T | undefined> {
    if (this.ownCountUntil !== undefined && performance.now() < this.ownCountUntil) return undefined;
    const giveUpAt = performance.now() + WRITE_PATIENCE_MS;
    for (let pause = 1; ; pause = Math.min(2 * pause, MAX_PAUSE_MS)) {
      const tried = withoutLockWait(this.statements, () => this.inTransaction.immediate(work));
      if (tried.done) {
        if (this.ownCountUntil !== undefined) {
          this.logger.log('The database takes writes again: failed credentials are counted with every process on it');
        }
        this.ownCountUntil = undefined;
        return tried.result;
      }
      if (performance.now() + pause > giveUpAt) break;
      await sleep(pause);
    }
    if (this.ownCountUntil === undefined) {
      this.logger.warn(
        'The database is held by a long write elsewhere: failed credentials are counted in this process too until it is free',
      );
    }
    this.ownCountUntil = performance.now() + OWN_COUNT_MS;
    return undefined;
  }
}
