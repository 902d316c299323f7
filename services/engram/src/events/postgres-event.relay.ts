import { Logger } from '@nestjs/common';
import { createHash, randomBytes } from 'node:crypto';
import type { Client, Notification, QueryConfig } from 'pg';
import { setTimeout as delay } from 'node:timers/promises';
import { PostgresConfig } from '../config/config.types';
import { EngramMetrics } from '../metrics/engram-metrics';
import { pgDriver } from '../storage/postgres/pg-driver';
import { PostgresDatabase, Queryable } from '../storage/postgres/postgres.database';
import { EngramEvent, EventDraft } from './engram-event';
import { LastSeen } from './event-cursor';
import { EventListener, EventRelay, LOST_EVERYWHERE, LossListener } from './event-relay';
import { Replay } from './event-ring';
import { EVENTS_CHANNEL, PostgresEventLog, UnreadEntry } from './postgres-event-log';
import { LogEntry, parseLogMessage } from './published-event';
import { ReplayBounds } from './replay-windows';
import { LOSS_NAMESPACES_LIMIT, SEND_QUEUE_LIMIT, SendQueue } from './send-queue';
import { readSharedWindows } from './shared-windows-read';

/** Entries read from the table at a time while catching up: what one read holds in memory. */
const CATCH_UP_PAGE = 1000;

/** Waits between attempts to reconnect, doubling up to the last. */
const FIRST_RETRY_MS = 100;
const LAST_RETRY_MS = 2000;

/**
 * A notification: the event or a loss, or only its place when it was too large to carry (then read from
 * the table).
 */
type Notice = LogEntry | UnreadEntry;

const onlyPlace = (notice: Notice) => notice.event === undefined && notice.lost === undefined;

/**
 * Cross-process events through PostgreSQL, for deployments without Redis (PostgreSQL migration 34): each
 * event is stored with its place in the publish order and its id in its namespace (postgres-event-log.ts),
 * and NOTIFY hands it to every process on commit, in commit order, which is the order of places. Each process
 * holds one connection of its own, not the pool's: its publishes, queued so they commit in the order sent
 * (up to SEND_QUEUE_LIMIT; past it the oldest are dropped and a loss is stored in their place, which tells
 * every listener), and its LISTEN. A notification out of turn (one was missed) or too large to carry, and every reconnection,
 * make it read the events after the last place it delivered from the table: each event reaches each
 * listener once and in order, unless its window trimmed it meanwhile (or it was job progress, kept only
 * briefly): where the table no longer holds a place, every listener is told of a loss everywhere. It reads
 * a page at a time, each within the statement timeout, and holds at most `heldLimit` notifications meanwhile;
 * past that it lets them go and reads them from the table too. History and the newest events are read from
 * the windows every replica shares.
 */
export class PostgresEventRelay implements EventRelay {
  private readonly logger = new Logger('Events');
  private readonly log: PostgresEventLog;
  private client: Client | undefined;
  /** The connection's work, one task at a time: a publish's transaction never interleaves with a read. */
  private tail: Promise<unknown> = Promise.resolve();
  private listener: EventListener | undefined;
  private onLost: LossListener | undefined;
  /** Sends not yet committed, oldest first, at most the queue limit; `publishing` while a task drains them. */
  private readonly queue: SendQueue;
  private publishing = false;
  private lastDelivered = 0;
  /** Whether the first LISTEN took: later ones catch up from the last place delivered. */
  private following = false;
  /** Notifications arriving while the table is read; delivered after what it answered. */
  private held: Notice[] | undefined;
  /** More came while the table was read than `held` keeps: they are read from the table again. */
  private heldOverflowed = false;
  private readonly heldLimit: number;
  private reported = false;
  private readonly closing = new AbortController();

  constructor(
    private readonly settings: PostgresConfig,
    /** The store's pool, which reads the windows for replays. */
    private readonly db: PostgresDatabase,
    private readonly bounds: ReplayBounds,
    private readonly options: PostgresRelayOptions = {},
  ) {
    this.log = new PostgresEventLog(bounds);
    this.queue = new SendQueue(
      'PostgreSQL',
      options.queueLimit ?? SEND_QUEUE_LIMIT,
      options.metrics,
      options.lossNamespacesLimit ?? LOSS_NAMESPACES_LIMIT,
    );
    this.heldLimit = options.heldLimit ?? SEND_QUEUE_LIMIT;
  }

  /**
   * Queues `draft`: queued sends commit in the order sent, once PostgreSQL answers. Past the queue's limit
   * the oldest is dropped, and where it would have been every listening process is told of the loss.
   */
  send(draft: EventDraft): void {
    const { clock = Date.now } = this.options;
    this.queue.push({ draft, nowMicros: Math.floor(clock()) * 1000 });
    this.publishSoon();
  }

  /**
   * Resolves once this process LISTENs: from then on every published event reaches `listener`, once and in
   * the publish order, and every loss `onLost`. While PostgreSQL is unreachable it waits; after each
   * reconnection it first delivers, from the table, what was published while it was cut off.
   */
  async listen(listener: EventListener, onLost?: LossListener): Promise<void> {
    this.listener = listener;
    this.onLost = onLost;
    await this.run(async () => undefined);
  }

  /** Sends waiting to be committed (never more than the queue's limit). */
  get queuedSends(): number {
    return this.queue.length;
  }

  /** Notifications held while the table is read (never more than `heldLimit`). */
  get heldNotifications(): number {
    return this.held?.length ?? 0;
  }

  async history(seen: LastSeen): Promise<Replay | undefined> {
    if (this.bounds.perNamespace === 0) return undefined;
    return readSharedWindows(() => this.log.history(this.db, seen), this.logger);
  }

  async newest(namespaces: readonly string[], count: number, before?: LastSeen): Promise<EngramEvent[] | undefined> {
    if (this.bounds.perNamespace === 0) return undefined;
    return readSharedWindows(() => this.log.newest(this.db, namespaces, count, before), this.logger);
  }

  /** Commits what was sent, then ends the connection (the store's pool is the store's to close). */
  async close(): Promise<void> {
    // Sends queued on a live connection commit; none waits for one that is gone.
    this.closing.abort();
    // A publishing task queues the next before it ends: wait for the last.
    for (let tail = this.tail; ; tail = this.tail) {
      await tail;
      if (tail === this.tail) break;
    }
    this.listener = undefined;
    this.onLost = undefined;
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }

  /** Commits the queue in a task of its own, unless one is under way. */
  private publishSoon(): void {
    if (this.publishing) return;
    this.publishing = true;
    this.run((client) => this.publishQueued(client)).catch((error) => {
      // Only a closed relay refuses the task (connecting is retried until then): nothing queued will commit.
      this.publishing = false;
      const lost = this.queue.clear();
      this.logger.warn({ msg: 'events not published', count: lost, error: (error as Error).message });
    });
  }

  /**
   * Commits the losses and the sends queued when it started, oldest first, then queues a task for any sent
   * since, so reads of the table take their turn between. A send that fails is not retried (it may have
   * committed); a loss that fails is, on a new connection, before the next send.
   */
  private async publishQueued(client: Client): Promise<void> {
    try {
      for (let count = this.queue.length; count > 0 && this.queue.length > 0; count--) {
        if (!(await this.storeLosses(client))) return;
        const { draft, nowMicros } = this.queue.shift()!;
        try {
          await inTransaction(client, (tx) => this.log.append(tx, draft, nowMicros));
        } catch (error) {
          this.logger.warn({ msg: 'event not published', type: draft.type, error: (error as Error).message });
          return; // on the next task's connection, which replaces this one if it is gone
        }
      }
      await this.storeLosses(client);
    } finally {
      this.publishing = false;
      if (this.queue.length > 0 || this.queue.hasLosses) this.publishSoon();
    }
  }

  /**
   * Stores every loss not yet stored, in its place: before every send still queued. False when that failed:
   * the losses wait for a new connection.
   */
  private async storeLosses(client: Client): Promise<boolean> {
    if (!this.queue.hasLosses) return true;
    const everywhere = this.queue.takeLossEverywhere();
    const losses = this.queue.takeLosses();
    const nowMicros = Math.floor((this.options.clock ?? Date.now)()) * 1000;
    try {
      await inTransaction(client, async (tx) => {
        if (everywhere) await this.log.appendLossEverywhere(tx, nowMicros);
        for (const [namespace, count] of losses) await this.log.appendLoss(tx, namespace, count, nowMicros);
      });
    } catch (error) {
      if (everywhere) this.queue.restoreLossEverywhere();
      this.queue.restoreLosses(losses);
      this.dropConnection(error as Error);
      return false;
    }
    this.queue.lossesStored();
    return true;
  }

  /** Runs `task` on the connection after every task before it, connecting (and catching up) first if need be. */
  private run<T>(task: (client: Client) => Promise<T>): Promise<T> {
    const result = this.tail.then(async () => task(await this.connected()));
    this.tail = result.catch(() => undefined);
    return result;
  }

  private async connected(): Promise<Client> {
    for (let wait = FIRST_RETRY_MS; !this.client; wait = Math.min(wait * 2, LAST_RETRY_MS)) {
      if (this.closing.signal.aborted) throw new Error('the event relay is closed');
      try {
        await this.connect();
      } catch (error) {
        this.reportOutage(error as Error);
        await delay(wait, undefined, { signal: this.closing.signal, ref: false }).catch(() => undefined);
      }
    }
    return this.client;
  }

  private async connect(): Promise<void> {
    const client = new (pgDriver().Client)({
      connectionString: this.settings.url,
      connectionTimeoutMillis: this.settings.statementTimeoutMs,
      statement_timeout: this.settings.statementTimeoutMs,
      keepAlive: true,
      application_name: this.options.connectionName ?? 'engram-events',
    });
    client.on('error', () => this.lose(client));
    client.on('end', () => this.lose(client));
    client.on('notification', (notification) => this.notified(notification));
    try {
      await client.connect();
      if (this.listener) await this.follow(client);
    } catch (error) {
      await client.end().catch(() => undefined);
      throw error;
    }
    this.client = client;
    this.reported = false;
  }

  /** LISTENs, then delivers what the table holds past the last place delivered (on the first call: nothing). */
  private async follow(client: Client): Promise<void> {
    this.held ??= [];
    const listen: QueryConfig & { query_timeout: number } = {
      text: `LISTEN ${EVENTS_CHANNEL}`,
      query_timeout: this.settings.statementTimeoutMs,
    };
    await client.query(listen);
    const q = this.reading(client);
    if (!this.following) this.lastDelivered = await this.log.lastPlace(q);
    this.following = true;
    await this.catchUp(q);
  }

  /**
   * Delivers the events after the last place delivered, then those notified meanwhile. A notified event too
   * large to carry that committed after the read, or notifications past what is held, need another read.
   */
  private async catchUp(q: Queryable): Promise<void> {
    this.held ??= [];
    for (;;) {
      await this.readTable(q);
      if (this.heldOverflowed) {
        this.heldOverflowed = false;
        continue;
      }
      const pending = this.held.filter((notice) => notice.place > this.lastDelivered);
      if (pending.some(onlyPlace)) continue;
      this.held = undefined;
      this.deliverInOrder(pending.sort((a, b) => a.place - b.place));
      return;
    }
  }

  /** Delivers what the table holds after the last place delivered, a page at a time. */
  private async readTable(q: Queryable): Promise<void> {
    for (;;) {
      const page = await this.log.since(q, this.lastDelivered, CATCH_UP_PAGE);
      this.deliverInOrder(page);
      if (page.length < CATCH_UP_PAGE) return;
    }
  }

  /**
   * Delivers `notices`, in order of place. Where places are missing (the table no longer held them: trimmed
   * from their window, or passed by while this process was cut off or fell behind) nobody here knows whose
   * events they were: every listener is told of a loss everywhere, once for the batch.
   */
  private deliverInOrder(notices: readonly Notice[]): void {
    let told = false;
    for (const notice of notices) {
      if (!told && notice.place > this.lastDelivered + 1) {
        told = true;
        this.onLost?.(LOST_EVERYWHERE);
      }
      this.deliver(notice);
    }
  }

  private notified({ channel, payload }: Notification): void {
    if (channel !== EVENTS_CHANNEL || payload === undefined) return;
    const notice: Notice | undefined = /^\d{1,16}$/.test(payload)
      ? { place: Number(payload) }
      : parseLogMessage(payload);
    if (!notice) {
      this.logger.warn({ msg: 'malformed event notification ignored' });
      return;
    }
    if (this.held) return this.hold(notice);
    if (notice.place <= this.lastDelivered) return;
    if (notice.place === this.lastDelivered + 1 && !onlyPlace(notice)) return this.deliver(notice);
    // One was missed, or this one is in the table only: read them there.
    this.held = [notice];
    this.run((client) => this.catchUp(this.reading(client))).catch((error) => this.dropConnection(error as Error));
  }

  /**
   * Holds `notice` until the read under way ends; past `heldLimit` lets every held one go, to be read from the
   * table (where each is, unless trimmed since: then a loss everywhere is told in its place).
   */
  private hold(notice: Notice): void {
    const held = this.held!;
    if (held.length < this.heldLimit) {
      held.push(notice);
      return;
    }
    held.length = 0;
    this.heldOverflowed = true;
  }

  /**
   * The connection's statements for reads that catch up, each failing past the statement timeout however the
   * link stalls (the server's own timeout never fires while a request or its answer is stuck on the way); the
   * connection is dropped then, as after every failed catch-up.
   */
  private reading(client: Client): Queryable {
    return queryable(client, this.settings.statementTimeoutMs);
  }

  private deliver(notice: Notice): void {
    if (notice.place <= this.lastDelivered) return;
    this.lastDelivered = notice.place;
    if (notice.event) this.listener?.(notice.event);
    else if (notice.lost) this.onLost?.(notice.lost);
  }

  /** A catch-up that failed is retried on a new connection, which catches up first; nothing held is lost. */
  private dropConnection(error: Error): void {
    this.reportOutage(error);
    const client = this.client;
    if (client) this.lose(client);
    void client?.end().catch(() => undefined);
  }

  /** The connection is gone: a listening process reconnects at once (and catches up); a publisher on its next send. */
  private lose(client: Client): void {
    if (this.client !== client) return;
    this.client = undefined;
    if (this.listener && !this.closing.signal.aborted) void this.run(async () => undefined).catch(() => undefined);
  }

  private reportOutage(error: Error): void {
    if (this.reported) return; // one line per outage, not one per attempt
    this.reported = true;
    this.logger.warn({ msg: 'PostgreSQL unreachable for events', error: error.message });
  }
}

export interface PostgresRelayOptions {
  /** This replica's clock in ms, the floor of the ids it publishes: replicas' clocks differ. */
  clock?: () => number;
  /** The connection's application_name (pg_stat_activity); default engram-events. */
  connectionName?: string;
  /** Sends kept while PostgreSQL does not answer; default SEND_QUEUE_LIMIT. */
  queueLimit?: number;
  /** Counts the sends dropped past that limit (engram_events_dropped_total). */
  metrics?: EngramMetrics;
  /** Namespaces whose drops are counted apart before one loss everywhere; default LOSS_NAMESPACES_LIMIT. */
  lossNamespacesLimit?: number;
  /** Notifications held while the table is read; default SEND_QUEUE_LIMIT. */
  heldLimit?: number;
}

/** Each connection's prefix for the names of its statements (see queryable). */
const prefixes = new WeakMap<Client, string>();

/**
 * Statements by name, so the server plans each once per connection rather than at every publish. The names
 * are the connection's own: a server that serves several connections on one session (PGlite) must not find
 * one prepared twice. With `timeoutMs`, a statement not answered in time fails (pg's query_timeout); the
 * connection is then unusable and must be dropped.
 */
function queryable(client: Client, timeoutMs?: number): Queryable {
  let prefix = prefixes.get(client);
  if (prefix === undefined) prefixes.set(client, (prefix = `engram-events-${randomBytes(6).toString('hex')}`));
  const name = (sql: string) => `${prefix}-${createHash('sha256').update(sql).digest('hex').slice(0, 16)}`;
  return {
    query: async (sql, params = []) => {
      const config: QueryConfig & { query_timeout?: number } = {
        name: name(sql),
        text: sql,
        values: params as unknown[],
        query_timeout: timeoutMs,
      };
      return (await client.query(config)).rows;
    },
  };
}

async function inTransaction<T>(client: Client, work: (tx: Queryable) => Promise<T>): Promise<T> {
  await client.query('BEGIN');
  try {
    const result = await work(queryable(client));
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}
