import { dayNumber, MS_PER_DAY, MS_PER_HOUR } from './civil-date';

/** A wall-clock reading: the calendar day (day number) and the milliseconds since that day's midnight. */
export interface WallTime {
  day: number;
  msOfDay: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** One formatter per zone: constructing them is far slower than using them. Throws RangeError for an unknown zone. */
function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

/** UTC days whose offset is kept per zone, about 270 years of them; past that the cache starts over. */
const MAX_CACHED_DAYS = 100_000;
const steadyOffsetsByZone = new Map<string, Map<number, number>>();

/** UTC day → the zone's offset throughout that day, for the days known to have one offset. */
function steadyOffsetsFor(timeZone: string): Map<number, number> {
  let offsets = steadyOffsetsByZone.get(timeZone);
  if (!offsets) {
    offsets = new Map();
    steadyOffsetsByZone.set(timeZone, offsets);
  }
  return offsets;
}

/**
 * Converts between instants and wall-clock times of one IANA zone, using only Intl (the zone
 * database ships with Node), so offsets and DST rules are the real ones for every date.
 */
export class ZonedCalendar {
  private readonly formatter: Intl.DateTimeFormat;
  private readonly steadyOffsets: Map<number, number>;

  constructor(timeZone: string) {
    this.formatter = formatterFor(timeZone);
    this.steadyOffsets = steadyOffsetsFor(timeZone);
  }

  wallTime(epochMs: number): WallTime {
    const wallMs = this.wallClockAsUtcMs(epochMs);
    const day = Math.floor(wallMs / MS_PER_DAY);
    return { day, msOfDay: wallMs - day * MS_PER_DAY };
  }

  /**
   * The instant at which the zone's clocks read `msOfDay` on `day` (`msOfDay` may exceed one day).
   * A time that occurs twice (clocks going back) gives the earlier instant; a time skipped by clocks
   * going forward is moved forward by the gap, so a day starting inside a gap starts when the gap ends.
   */
  epochMs(day: number, msOfDay = 0): number {
    const wallMs = day * MS_PER_DAY + msOfDay;
    // Offsets a day either side are the only two candidates: no zone changes offset twice in two days.
    const withEarlierOffset = wallMs - this.offsetAt(wallMs - MS_PER_DAY);
    const withLaterOffset = wallMs - this.offsetAt(wallMs + MS_PER_DAY);
    const exact = [withEarlierOffset, withLaterOffset].filter((c) => this.wallClockAsUtcMs(c) === wallMs);
    return exact.length > 0 ? Math.min(...exact) : withEarlierOffset;
  }

  /** Start of the wall-clock hour containing the instant (whole hours of the zone, not of UTC). */
  hourStart(epochMs: number): number {
    return epochMs - (this.wallTime(epochMs).msOfDay % MS_PER_HOUR);
  }

  private offsetAt(epochMs: number): number {
    return this.wallClockAsUtcMs(epochMs) - epochMs;
  }

  /**
   * The zone's wall-clock reading at the instant, expressed as if that reading were UTC. Intl is slow
   * (time grounding reads it for every candidate of a search), so the offset is kept per UTC day once
   * both ends of that day have the same one: no zone changes its offset twice within a day.
   */
  private wallClockAsUtcMs(epochMs: number): number {
    const utcDay = Math.floor(epochMs / MS_PER_DAY);
    let offset = this.steadyOffsets.get(utcDay);
    if (offset === undefined) {
      const atStart = this.formattedWallClockMs(utcDay * MS_PER_DAY) - utcDay * MS_PER_DAY;
      const atEnd = this.formattedWallClockMs((utcDay + 1) * MS_PER_DAY - 1) - ((utcDay + 1) * MS_PER_DAY - 1);
      if (atStart !== atEnd) return this.formattedWallClockMs(epochMs);
      if (this.steadyOffsets.size >= MAX_CACHED_DAYS) this.steadyOffsets.clear();
      this.steadyOffsets.set(utcDay, atStart);
      offset = atStart;
    }
    return epochMs + offset;
  }

  private formattedWallClockMs(epochMs: number): number {
    const parts = this.formatter.formatToParts(new Date(epochMs));
    const field = (type: Intl.DateTimeFormatPartTypes): number =>
      Number(parts.find((part) => part.type === type)?.value);
    const day = dayNumber(field('year'), field('month'), field('day'));
    const seconds = field('hour') * 3600 + field('minute') * 60 + field('second');
    const msInSecond = ((epochMs % 1000) + 1000) % 1000;
    return day * MS_PER_DAY + seconds * 1000 + msInSecond;
  }
}
