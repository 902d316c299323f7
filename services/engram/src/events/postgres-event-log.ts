import { PostgresDatabase, Queryable } from '../storage/postgres/postgres.database';
import { EngramEvent, EventDraft, keptForReplay } from './engram-event';
import { LastSeen } from './event-cursor';
import { Replay } from './event-ring';
import {
  LogEntry,
  LOSS_EVERYWHERE_DRAFT,
  lossDraft,
  parseLogEntry,
  parsePublished,
  Published,
} from './published-event';
import { droppedRemembered, ReplayBounds, SMALLEST_WINDOW, windowCharge } from './replay-windows';

/** The channel every process LISTENs on; PostgreSQL scopes it to the database, so to one store. */
export const EVENTS_CHANNEL = 'engram_events';

/** Events not kept for replay (job progress) stay this many places, for a process catching up. */
const PASSING_EVENTS_KEPT = 1000;

/**
 * How long a namespace's last id outlives the clock, in µs: a replica whose clock lags by less never hands
 * out an id twice, and the table holds last ids only of the namespaces active lately (as Redis does).
 */
const LAST_ID_KEPT_PAST_CLOCK_US = 60 * 60 * 1_000_000;

/**
 * Hands out the event's place (the deployment's publish order) and its id in its namespace, stores it and
 * notifies every listening process, in one statement. Updating event_order's one row first serialises the
 * publishers: places are handed out in commit order, contiguous. A namespace's id follows event-ids.ts:
 * max(its last id + 1, now in µs); a namespace without a last id (new, or forgotten once the clocks passed
 * it) starts at the latest clock any publisher reported, above every id it had. The notification carries
 * the event itself (`<place> <id> <draft>`), or only its place when that would pass PostgreSQL's 8000 bytes.
 */
const APPEND = `
  WITH turn AS (
    UPDATE event_order SET last_place = last_place + 1, clock_floor = greatest(clock_floor, $2::bigint)
    WHERE singleton = 1 RETURNING last_place, clock_floor
  ), sequence AS (
    INSERT INTO event_sequences AS s (namespace, last_id) SELECT $1, clock_floor FROM turn
    ON CONFLICT (namespace) DO UPDATE SET last_id = greatest(s.last_id + 1, $2::bigint)
    RETURNING last_id
  ), appended AS (
    INSERT INTO events (place, namespace, id, kept, draft)
    SELECT last_place, $1, last_id, $3, $4 FROM turn, sequence RETURNING place, id
  )
  SELECT place, id, clock_floor,
    pg_notify($5, CASE WHEN octet_length(message) < 8000 THEN message ELSE place::text END)
  FROM appended, turn, LATERAL (SELECT place || ' ' || id || ' ' || $4 AS message) AS m`;

/** What a window of `size` events counts as against the total, in SQL (windowCharge). */
const chargeOf = (size: string) => `CASE WHEN ${size} = 0 THEN 0 ELSE greatest(${size}, ${SMALLEST_WINDOW}) END`;

/** The passing events up to place `$1` and the last ids the clocks passed (below `$2`) go, by index. */
const PRUNED = `
  passed AS (DELETE FROM events WHERE NOT kept AND place <= $1),
  idle AS (DELETE FROM event_sequences WHERE last_id < $2)`;

/** After APPEND, under its turn (so in a snapshot that sees every publish before): the prune alone. */
const PRUNE = `WITH ${PRUNED} SELECT 1`;

/**
 * After APPEND, under its turn, for a kept event: its namespace's window (`$3`) takes it and becomes the most
 * recently active (place `$5`), trimmed to `$6` events by removing its oldest, the newest id removed
 * remembered; the total charge follows; and the prune.
 */
const KEEP = `
  WITH sizes AS (
    SELECT size AS before, least(size + 1, $6) AS after
    FROM (SELECT coalesce((SELECT size FROM event_windows WHERE namespace = $3), 0) AS size) AS old
  ), gone AS (
    DELETE FROM events WHERE place IN (
      SELECT place FROM events WHERE kept AND namespace = $3 ORDER BY id LIMIT (SELECT before + 1 - after FROM sizes)
    ) RETURNING id
  ), entered AS (
    INSERT INTO event_windows AS w (namespace, size, newest_id, last_place) SELECT $3, after, $4, $5 FROM sizes
    ON CONFLICT (namespace) DO UPDATE SET size = excluded.size, newest_id = excluded.newest_id,
      last_place = excluded.last_place, trimmed_up_to = greatest(w.trimmed_up_to, (SELECT max(id) FROM gone))
  ), ${PRUNED}
  UPDATE event_order SET charged = charged + (SELECT ${chargeOf('after')} - ${chargeOf('before')} FROM sizes)
  WHERE singleton = 1 RETURNING charged`;

/**
 * A loss (`$1`, `$2` the id told in its stead) counts as a dropped window of its namespace holding up to that
 * id: a replay from before it is incomplete, as for a window that was dropped.
 */
const REMEMBER_LOSS = `
  INSERT INTO event_windows_dropped AS d (namespace, held_up_to) VALUES ($1, $2)
  ON CONFLICT (namespace) DO UPDATE SET held_up_to = greatest(d.held_up_to, excluded.held_up_to)`;

/** A turn alone, as APPEND takes it (`$1` the publisher's clock): for a loss everywhere. */
const TURN = `
  UPDATE event_order SET last_place = last_place + 1, clock_floor = greatest(clock_floor, $1::bigint)
  WHERE singleton = 1 RETURNING last_place, clock_floor`;

/**
 * After TURN, under it (so seeing every id handed out before): a loss everywhere at place `$1`, told at an id
 * past every id of any namespace (`$2` the clock floor), to which every sequence and the clock floor move, so
 * each namespace's next id is above it, and the forgotten drops too, so a replay of any namespace from before
 * it is incomplete and one from after it not. Stored as passing, under no namespace (''), and notified.
 */
const LOSS_EVERYWHERE = `
  WITH told AS (
    SELECT greatest($2::bigint, (SELECT max(last_id) + 1 FROM event_sequences)) AS id
  ), moved AS (
    UPDATE event_sequences SET last_id = told.id FROM told WHERE last_id < told.id
  ), floor AS (
    UPDATE event_order SET clock_floor = told.id, forgotten_up_to = greatest(forgotten_up_to, told.id)
    FROM told WHERE singleton = 1
  ), appended AS (
    INSERT INTO events (place, namespace, id, kept, draft) SELECT $1::bigint, '', id, false, $3::text FROM told
  )
  SELECT id, pg_notify($4::text, $1::bigint || ' ' || id || ' ' || $3::text) FROM told`;

const CHARGE = 'UPDATE event_order SET charged = charged + $1 WHERE singleton = 1 RETURNING charged';

/** Drops the window idle longest but `$1`'s whole, remembering the newest id it held; answers its size. */
const DROP_IDLEST = `
  WITH idle AS (
    DELETE FROM event_windows WHERE namespace = (
      SELECT namespace FROM event_windows WHERE namespace <> $1 ORDER BY last_place LIMIT 1
    ) RETURNING namespace, size, newest_id
  ), gone AS (
    DELETE FROM events USING idle WHERE events.kept AND events.namespace = idle.namespace
  ), remembered AS (
    INSERT INTO event_windows_dropped AS d (namespace, held_up_to) SELECT namespace, newest_id FROM idle
    ON CONFLICT (namespace) DO UPDATE SET held_up_to = excluded.held_up_to
  )
  SELECT size FROM idle`;

/** Forgets the dropped windows past `$1` (those that held the oldest ids), keeping the newest id forgotten. */
const FORGET_DROPPED = `
  WITH forgotten AS (
    DELETE FROM event_windows_dropped WHERE namespace IN (
      SELECT namespace FROM event_windows_dropped ORDER BY held_up_to
      LIMIT greatest(0, (SELECT count(*) FROM event_windows_dropped) - $1)
    ) RETURNING held_up_to
  )
  UPDATE event_order SET forgotten_up_to = greatest(forgotten_up_to, (SELECT max(held_up_to) FROM forgotten))
  WHERE singleton = 1`;

const HISTORY_EVENTS = `
  SELECT e.place, e.id, e.draft FROM unnest($1::text[], $2::bigint[]) AS s (namespace, last_id)
  JOIN events e ON e.kept AND e.namespace = s.namespace AND e.id > s.last_id
  ORDER BY e.place`;

/**
 * Complete when no window trimmed past the client's id, none of its namespaces lost newer when dropped, and
 * no drop forgotten or loss everywhere came after it (a drop remembered is never older than one forgotten).
 */
const HISTORY_COMPLETE = `
  SELECT coalesce(bool_and(s.last_id >= coalesce(w.trimmed_up_to, 0)
    AND s.last_id >= greatest(d.held_up_to, o.forgotten_up_to)), true) AS complete
  FROM unnest($1::text[], $2::bigint[]) AS s (namespace, last_id)
  CROSS JOIN event_order o
  LEFT JOIN event_windows w ON w.namespace = s.namespace
  LEFT JOIN event_windows_dropped d ON d.namespace = s.namespace`;

const NEWEST = `
  SELECT e.place, e.id, e.draft FROM unnest($1::text[], $2::bigint[]) AS s (namespace, before_id)
  CROSS JOIN LATERAL (
    SELECT place, id, draft FROM events WHERE kept AND namespace = s.namespace AND id < s.before_id
    ORDER BY id DESC LIMIT $3
  ) e
  ORDER BY e.place DESC`;

/** A stored entry this build cannot read: passed over in its place. */
export interface UnreadEntry {
  place: number;
  event?: undefined;
  lost?: undefined;
}

interface EventRow {
  place: number | string;
  id: number | string;
  draft: string;
}

/**
 * The events tables (PostgreSQL migration 34): every event in the publish order (and every loss of events
 * a relay dropped unpublished, in their place), each namespace's capped replay window within it, and what
 * the windows lost, with the same bounds and answers as the Redis
 * relay's streams (replay-windows.ts). Trims go by index: a window's oldest, the idlest window, the
 * passing events by place.
 */
export class PostgresEventLog {
  constructor(private readonly bounds: ReplayBounds) {}

  /** Stores and announces `draft`; run in a transaction, which holds every publisher's turn until it commits. */
  async append(tx: Queryable, draft: EventDraft, nowMicros: number): Promise<void> {
    const kept = keptForReplay(draft.type) && this.bounds.perNamespace > 0;
    const { place, id, pruned } = await this.takeTurn(tx, draft.namespace, nowMicros, kept, JSON.stringify(draft));
    if (!kept) {
      await tx.query(PRUNE, pruned);
      return;
    }
    const [{ charged }] = await tx.query<{ charged: string }>(KEEP, [
      ...pruned,
      draft.namespace,
      id,
      place,
      this.bounds.perNamespace,
    ]);
    if (Number(charged) > this.bounds.total) await this.dropIdle(tx, draft.namespace, Number(charged));
  }

  /**
   * Stores and announces that `count` events of `namespace` were dropped unpublished, at their place: an id
   * of its sequence and a place of the order, passing like job progress (never replayed), and remembered as
   * a dropped window is, so replays from before it are incomplete. Its draft has no `type`, so builds that
   * know no losses skip it as malformed. Run in a transaction, as `append`.
   */
  async appendLoss(tx: Queryable, namespace: string, count: number, nowMicros: number): Promise<void> {
    const { id, pruned } = await this.takeTurn(tx, namespace, nowMicros, false, lossDraft(namespace, count));
    await tx.query(PRUNE, pruned);
    await tx.query(REMEMBER_LOSS, [namespace, id]);
    await tx.query(FORGET_DROPPED, [droppedRemembered(this.bounds)]);
  }

  /**
   * Stores and announces that events of any namespace were dropped unpublished (LostEverywhere), at their
   * place; a replay of any namespace from before it is incomplete. Run in a transaction, as `append`.
   */
  async appendLossEverywhere(tx: Queryable, nowMicros: number): Promise<void> {
    const [turn] = await tx.query<{ last_place: string; clock_floor: string }>(TURN, [nowMicros]);
    const place = Number(turn.last_place);
    const [{ id }] = await tx.query<{ id: string }>(LOSS_EVERYWHERE, [
      place,
      turn.clock_floor,
      LOSS_EVERYWHERE_DRAFT,
      EVENTS_CHANNEL,
    ]);
    await tx.query(PRUNE, [place - PASSING_EVENTS_KEPT, Number(id) - LAST_ID_KEPT_PAST_CLOCK_US]);
  }

  /**
   * Up to `limit` stored events and losses after `afterPlace`, in order: what a process that missed
   * notifications catches up on. An entry this build cannot read (a newer build's) is its place alone.
   */
  async since(q: Queryable, afterPlace: number, limit: number): Promise<(LogEntry | UnreadEntry)[]> {
    const rows = await q.query<EventRow>(
      'SELECT place, id, draft FROM events WHERE place > $1 ORDER BY place LIMIT $2',
      [afterPlace, limit],
    );
    return rows.map(
      (row) => parseLogEntry(String(row.place), String(row.id), row.draft) ?? { place: Number(row.place) },
    );
  }

  async lastPlace(q: Queryable): Promise<number> {
    const [row] = await q.query<{ last_place: string }>('SELECT last_place FROM event_order');
    return Number(row.last_place);
  }

  /** The windows' events after what the client has `seen`, in the order published, read in one snapshot. */
  history(db: PostgresDatabase, seen: LastSeen): Promise<Replay> {
    const params = [[...seen.keys()], [...seen.values()]];
    return db.transaction(async (tx) => {
      await tx.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY');
      const rows = await tx.query<EventRow>(HISTORY_EVENTS, params);
      const [{ complete }] = await tx.query<{ complete: boolean }>(HISTORY_COMPLETE, params);
      return { events: published(rows).map(({ event }) => event), complete };
    });
  }

  /** Up to `count` kept events of each namespace, older than its id in `before`, newest first in publish order. */
  async newest(q: Queryable, namespaces: readonly string[], count: number, before?: LastSeen): Promise<EngramEvent[]> {
    const beforeIds = namespaces.map((namespace) => before?.get(namespace) ?? Number.MAX_SAFE_INTEGER);
    const rows = await q.query<EventRow>(NEWEST, [namespaces, beforeIds, count]);
    return published(rows).map(({ event }) => event);
  }

  /** Hands out the next place and `namespace`'s next id, stores the entry there and notifies every listener. */
  private async takeTurn(tx: Queryable, namespace: string, nowMicros: number, kept: boolean, json: string) {
    const [row] = await tx.query<{ place: string; id: string; clock_floor: string }>(APPEND, [
      namespace,
      nowMicros,
      kept,
      json,
      EVENTS_CHANNEL,
    ]);
    const place = Number(row.place);
    const pruned = [place - PASSING_EVENTS_KEPT, Number(row.clock_floor) - LAST_ID_KEPT_PAST_CLOCK_US];
    return { place, id: Number(row.id), pruned };
  }

  /** Past the total, the windows idle longest go whole; never the one just written to. */
  private async dropIdle(tx: Queryable, active: string, charged: number): Promise<void> {
    let excess = charged;
    while (excess > this.bounds.total) {
      const [idle] = await tx.query<{ size: number }>(DROP_IDLEST, [active]);
      // Only the active window is left: the count had drifted (rows removed by hand).
      const released = idle ? windowCharge(Number(idle.size)) : excess - (await this.activeCharge(tx, active));
      const [{ charged: now }] = await tx.query<{ charged: string }>(CHARGE, [-released]);
      excess = Number(now);
      if (!idle) break;
    }
    await tx.query(FORGET_DROPPED, [droppedRemembered(this.bounds)]);
  }

  private async activeCharge(tx: Queryable, namespace: string): Promise<number> {
    const [window] = await tx.query<{ size: number }>('SELECT size FROM event_windows WHERE namespace = $1', [
      namespace,
    ]);
    return windowCharge(Number(window?.size ?? 0));
  }
}

function published(rows: EventRow[]): Published[] {
  return rows.flatMap((row) => parsePublished(String(row.place), String(row.id), row.draft) ?? []);
}
