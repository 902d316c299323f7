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

/**
 * Converts between instants and wall-clock times of one IANA zone, using only Intl (the zone
 * database ships with Node), so offsets and DST rules are the real ones for every date.
 */
export class ZonedCalendar {
  private readonly formatter: Intl.DateTimeFormat;

  constructor(timeZone: string) {
    this.formatter = formatterFor(timeZone);
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

  /** The zone's wall-clock reading at the instant, expressed as if that reading were UTC. */
  private wallClockAsUtcMs(epochMs: number): number {
    const parts = this.formatter.formatToParts(new Date(epochMs));
    const field = (type: Intl.DateTimeFormatPartTypes): number =>
      Number(parts.find((part) => part.type === type)?.value);
    const day = dayNumber(field('year'), field('month'), field('day'));
    const seconds = field('hour') * 3600 + field('minute') * 60 + field('second');
    const msInSecond = ((epochMs % 1000) + 1000) % 1000;
    return day * MS_PER_DAY + seconds * 1000 + msInSecond;
  }
}
