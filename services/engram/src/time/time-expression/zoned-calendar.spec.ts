import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MS_PER_DAY, MS_PER_HOUR } from './civil-date';
import { ZonedCalendar } from './zoned-calendar';

/** The wall clock straight from Intl, as "YYYY-MM-DD HH:MM:SS", for comparing with the calendar's reading. */
function intlWallClock(epochMs: number, timeZone: string): string {
  return new Intl.DateTimeFormat('sv-SE', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
  }).format(new Date(epochMs));
}

function calendarWallClock(calendar: ZonedCalendar, epochMs: number): string {
  const { day, msOfDay } = calendar.wallTime(epochMs);
  const wall = new Date(day * MS_PER_DAY + msOfDay).toISOString();
  return `${wall.slice(0, 10)} ${wall.slice(11, 19)}`;
}

describe('zoned calendar', () => {
  it('reads the same wall clock as Intl every 37 minutes through a year with two clock changes, read twice', () => {
    // The offsets are kept per UTC day after the first reading: the second round reads them from there.
    for (const timeZone of ['America/New_York', 'Australia/Lord_Howe', 'Asia/Kathmandu']) {
      const calendar = new ZonedCalendar(timeZone);
      for (let round = 0; round < 2; round++) {
        for (let t = Date.UTC(2024, 0, 1); t < Date.UTC(2025, 0, 1); t += 37 * 60_000) {
          assert.equal(
            calendarWallClock(calendar, t),
            intlWallClock(t, timeZone),
            `${timeZone} ${new Date(t).toISOString()}`,
          );
        }
      }
    }
  });

  it('reads the minutes either side of a clock change right after the rest of its day was read', () => {
    const calendar = new ZonedCalendar('America/New_York');
    const change = Date.UTC(2024, 2, 10, 7); // 02:00 EST became 03:00 EDT
    calendarWallClock(calendar, change - 5 * MS_PER_HOUR);
    calendarWallClock(calendar, change + 5 * MS_PER_HOUR);
    assert.equal(calendarWallClock(calendar, change - 60_000), '2024-03-10 01:59:00');
    assert.equal(calendarWallClock(calendar, change), '2024-03-10 03:00:00');
  });
});
