import { InvalidTimeExpression } from '../../common/domain-errors';
import type { TimeRange } from '../time-expression';
import { dayNumber, MAX_YEAR, MIN_YEAR } from './civil-date';
import type { DaySpan } from './periods';
import type { ZonedCalendar } from './zoned-calendar';

const FIRST_SUPPORTED_DAY = dayNumber(MIN_YEAR, 1, 1);
const DAY_AFTER_LAST_SUPPORTED = dayNumber(MAX_YEAR + 1, 1, 1);

/**
 * Everything a phrase is resolved against: the instant "now", its wall-clock reading in the
 * configured zone, and the phrase itself, which every rejection names.
 */
export class TimeContext {
  readonly today: number;
  readonly nowMsOfDay: number;

  constructor(
    readonly phrase: string,
    readonly nowMs: number,
    private readonly zone: ZonedCalendar,
  ) {
    const wall = zone.wallTime(nowMs);
    this.today = wall.day;
    this.nowMsOfDay = wall.msOfDay;
  }

  /** The instant the zone's clocks read `msOfDay` on `day`; days outside years 1000–9999 are rejected. */
  instant(day: number, msOfDay = 0): number {
    // Checked before converting: Intl cannot format instants past JavaScript's Date range.
    if (!Number.isFinite(day) || day < FIRST_SUPPORTED_DAY || day > DAY_AFTER_LAST_SUPPORTED) this.reject();
    return this.zone.epochMs(day, msOfDay);
  }

  /** Whole days [startDay, endDay) as instants. */
  days(span: DaySpan): TimeRange {
    return { startMs: this.instant(span.startDay), endMs: this.instant(span.endDay) };
  }

  day(day: number): TimeRange {
    return this.days({ startDay: day, endDay: day + 1 });
  }

  hourStart(epochMs: number): number {
    return this.zone.hourStart(epochMs);
  }

  /** @param problem what is wrong, when the phrase was understood; without it the refusal offers examples */
  reject(problem?: string): never {
    throw new InvalidTimeExpression(this.phrase, problem);
  }
}
