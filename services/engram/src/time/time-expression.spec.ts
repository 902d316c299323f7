import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidTimeExpression } from '../common/domain-errors';
import {
  extractTimeExpression,
  findTimeRange,
  MAX_TIME_EXPRESSION_LENGTH,
  parseTimeExpression,
  TimeRange,
} from './time-expression';
import { assertLinearCost } from '../testing/linear-cost';

/** Wednesday 8 January 2025, 15:30 UTC: a week after new year, so "last month" and "last year" cross it. */
const WEDNESDAY_IN_JANUARY = new Date('2025-01-08T15:30:00Z');
/** Wednesday 17 July 2024, 09:00 UTC: mid-summer. */
const WEDNESDAY_IN_JULY = new Date('2024-07-17T09:00:00Z');
/** New year's eve 22:00 in New York, already 1 January 2025 in UTC. */
const NEW_YEARS_EVE_IN_NEW_YORK = new Date('2025-01-01T03:00:00Z');

const UTC = 'UTC';
const NEW_YORK = 'America/New_York';

/** [phrase, expected start, expected end]; bounds as ISO instants, undefined for an open bound. */
type Case = [phrase: string, start: string | undefined, end: string | undefined];

function isoOf(ms: number | undefined): string | undefined {
  return ms === undefined ? undefined : new Date(ms).toISOString();
}

/** Expectations are written to the minute ("2025-01-07T05:00Z") and compared as full ISO instants. */
function normalised(instant: string | undefined): string | undefined {
  return instant === undefined ? undefined : new Date(instant).toISOString();
}

function describeRange(start: string | undefined, end: string | undefined): string {
  return `[${start ?? '…'}, ${end ?? '…'})`;
}

function assertRange(range: TimeRange | undefined, start: string | undefined, end: string | undefined): void {
  assert.ok(range, 'expected a range');
  assert.deepEqual([isoOf(range.startMs), isoOf(range.endMs)], [normalised(start), normalised(end)]);
}

function itParses(cases: readonly Case[], now: Date, timeZone: string): void {
  for (const [phrase, start, end] of cases) {
    it(`"${phrase}" → ${describeRange(start, end)}`, () => {
      assertRange(parseTimeExpression(phrase, now, timeZone), start, end);
    });
  }
}

function assertRejected(phrase: string, named = phrase.trim()): void {
  assert.throws(
    () => parseTimeExpression(phrase, WEDNESDAY_IN_JANUARY, UTC),
    (error: unknown) => {
      assert.ok(error instanceof InvalidTimeExpression, `expected InvalidTimeExpression, got ${String(error)}`);
      assert.equal(error.expression, named);
      assert.ok(error.message.includes(named));
      return true;
    },
  );
}

describe('parseTimeExpression', () => {
  describe('days, in UTC', () => {
    itParses(
      [
        ['today', '2025-01-08T00:00Z', '2025-01-09T00:00Z'],
        ['yesterday', '2025-01-07T00:00Z', '2025-01-08T00:00Z'],
        ['YESTERDAY', '2025-01-07T00:00Z', '2025-01-08T00:00Z'],
        ['  Yesterday.  ', '2025-01-07T00:00Z', '2025-01-08T00:00Z'],
        ['the day before yesterday', '2025-01-06T00:00Z', '2025-01-07T00:00Z'],
        ['3 days ago', '2025-01-05T00:00Z', '2025-01-06T00:00Z'],
        ['three days ago', '2025-01-05T00:00Z', '2025-01-06T00:00Z'],
        ['a day ago', '2025-01-07T00:00Z', '2025-01-08T00:00Z'],
        ['10 days ago', '2024-12-29T00:00Z', '2024-12-30T00:00Z'],
        ['last day', '2025-01-07T00:00Z', '2025-01-08T00:00Z'],
        ['this day', '2025-01-08T00:00Z', '2025-01-09T00:00Z'],
      ],
      WEDNESDAY_IN_JANUARY,
      UTC,
    );
  });

  describe('weekdays (today is a Wednesday)', () => {
    itParses(
      [
        ['monday', '2025-01-06T00:00Z', '2025-01-07T00:00Z'],
        ['on tuesday', '2025-01-07T00:00Z', '2025-01-08T00:00Z'],
        ['wednesday', '2025-01-08T00:00Z', '2025-01-09T00:00Z'],
        ['last wednesday', '2025-01-01T00:00Z', '2025-01-02T00:00Z'],
        ['sunday', '2025-01-05T00:00Z', '2025-01-06T00:00Z'],
        ['this friday', '2025-01-10T00:00Z', '2025-01-11T00:00Z'],
      ],
      WEDNESDAY_IN_JANUARY,
      UTC,
    );
  });

  describe('calendar weeks (Monday–Sunday), months, quarters and years', () => {
    itParses(
      [
        ['last week', '2024-12-30T00:00Z', '2025-01-06T00:00Z'],
        ['a week ago', '2024-12-30T00:00Z', '2025-01-06T00:00Z'],
        ['2 weeks ago', '2024-12-23T00:00Z', '2024-12-30T00:00Z'],
        ['this week', '2025-01-06T00:00Z', '2025-01-13T00:00Z'],
        ['last month', '2024-12-01T00:00Z', '2025-01-01T00:00Z'],
        ['previous month', '2024-12-01T00:00Z', '2025-01-01T00:00Z'],
        ['this month', '2025-01-01T00:00Z', '2025-02-01T00:00Z'],
        ['2 months ago', '2024-11-01T00:00Z', '2024-12-01T00:00Z'],
        ['13 months ago', '2023-12-01T00:00Z', '2024-01-01T00:00Z'],
        ['last quarter', '2024-10-01T00:00Z', '2025-01-01T00:00Z'],
        ['this quarter', '2025-01-01T00:00Z', '2025-04-01T00:00Z'],
        ['2 quarters ago', '2024-07-01T00:00Z', '2024-10-01T00:00Z'],
        ['last year', '2024-01-01T00:00Z', '2025-01-01T00:00Z'],
        ['this year', '2025-01-01T00:00Z', '2026-01-01T00:00Z'],
        ['2 years ago', '2023-01-01T00:00Z', '2024-01-01T00:00Z'],
        ['2024', '2024-01-01T00:00Z', '2025-01-01T00:00Z'],
        ['in 2024', '2024-01-01T00:00Z', '2025-01-01T00:00Z'],
      ],
      WEDNESDAY_IN_JANUARY,
      UTC,
    );
  });

  describe('hours', () => {
    itParses(
      [
        ['3 hours ago', '2025-01-08T12:00Z', '2025-01-08T13:00Z'],
        ['an hour ago', '2025-01-08T14:00Z', '2025-01-08T15:00Z'],
        ['last hour', '2025-01-08T14:00Z', '2025-01-08T15:00Z'],
        ['last 24 hours', '2025-01-07T15:30Z', '2025-01-08T15:30Z'],
      ],
      WEDNESDAY_IN_JANUARY,
      UTC,
    );
  });

  describe('rolling windows ending now', () => {
    itParses(
      [
        ['last 3 days', '2025-01-05T15:30Z', '2025-01-08T15:30Z'],
        ['past 2 weeks', '2024-12-25T15:30Z', '2025-01-08T15:30Z'],
        ['over the past week', '2025-01-01T15:30Z', '2025-01-08T15:30Z'],
        ['past month', '2024-12-08T15:30Z', '2025-01-08T15:30Z'],
        ['in the last six months', '2024-07-08T15:30Z', '2025-01-08T15:30Z'],
        ['the past year', '2024-01-08T15:30Z', '2025-01-08T15:30Z'],
        ['last 2 quarters', '2024-07-08T15:30Z', '2025-01-08T15:30Z'],
        ['recent', '2025-01-01T15:30Z', '2025-01-08T15:30Z'],
        ['recently', '2025-01-01T15:30Z', '2025-01-08T15:30Z'],
        ['lately', '2025-01-01T15:30Z', '2025-01-08T15:30Z'],
      ],
      WEDNESDAY_IN_JANUARY,
      UTC,
    );

    it('clamps to the end of a shorter month: "past month" on 31 March starts on 29 February', () => {
      const range = parseTimeExpression('past month', new Date('2024-03-31T10:00:00Z'), UTC);
      assertRange(range, '2024-02-29T10:00Z', '2024-03-31T10:00Z');
    });
  });

  describe('month names: the latest past or current one', () => {
    itParses(
      [
        ['january', '2025-01-01T00:00Z', '2025-02-01T00:00Z'],
        ['december', '2024-12-01T00:00Z', '2025-01-01T00:00Z'],
        ['March', '2024-03-01T00:00Z', '2024-04-01T00:00Z'],
        ['in may', '2024-05-01T00:00Z', '2024-06-01T00:00Z'],
        ['March 2024', '2024-03-01T00:00Z', '2024-04-01T00:00Z'],
        ['sept 2023', '2023-09-01T00:00Z', '2023-10-01T00:00Z'],
        ['last january', '2024-01-01T00:00Z', '2024-02-01T00:00Z'],
        ['this march', '2025-03-01T00:00Z', '2025-04-01T00:00Z'],
        ['march 5', '2024-03-05T00:00Z', '2024-03-06T00:00Z'],
        ['5th of march 2023', '2023-03-05T00:00Z', '2023-03-06T00:00Z'],
        ['december 25', '2024-12-25T00:00Z', '2024-12-26T00:00Z'],
        ['Jan 8', '2025-01-08T00:00Z', '2025-01-09T00:00Z'],
      ],
      WEDNESDAY_IN_JANUARY,
      UTC,
    );
  });

  describe('seasons (northern hemisphere)', () => {
    describe('in January', () => {
      itParses(
        [
          ['winter', '2024-12-21T00:00Z', '2025-03-20T00:00Z'],
          ['this winter', '2024-12-21T00:00Z', '2025-03-20T00:00Z'],
          ['last winter', '2023-12-21T00:00Z', '2024-03-20T00:00Z'],
          ['summer', '2024-06-21T00:00Z', '2024-09-23T00:00Z'],
          ['last summer', '2024-06-21T00:00Z', '2024-09-23T00:00Z'],
          ['fall', '2024-09-23T00:00Z', '2024-12-21T00:00Z'],
          ['last autumn', '2024-09-23T00:00Z', '2024-12-21T00:00Z'],
          ['spring 2023', '2023-03-20T00:00Z', '2023-06-21T00:00Z'],
          ['the summer of 2022', '2022-06-21T00:00Z', '2022-09-23T00:00Z'],
        ],
        WEDNESDAY_IN_JANUARY,
        UTC,
      );
    });

    describe('in July', () => {
      itParses(
        [
          ['this summer', '2024-06-21T00:00Z', '2024-09-23T00:00Z'],
          ['summer', '2024-06-21T00:00Z', '2024-09-23T00:00Z'],
          ['last summer', '2023-06-21T00:00Z', '2023-09-23T00:00Z'],
          ['last spring', '2024-03-20T00:00Z', '2024-06-21T00:00Z'],
          ['winter', '2023-12-21T00:00Z', '2024-03-20T00:00Z'],
          ['this winter', '2024-12-21T00:00Z', '2025-03-20T00:00Z'],
          ['july', '2024-07-01T00:00Z', '2024-08-01T00:00Z'],
          ['last july', '2023-07-01T00:00Z', '2023-08-01T00:00Z'],
        ],
        WEDNESDAY_IN_JULY,
        UTC,
      );
    });
  });

  describe('holidays, with a few days either side, the most recent occurrence', () => {
    describe('in January', () => {
      itParses(
        [
          ['christmas', '2024-12-22T00:00Z', '2024-12-29T00:00Z'],
          ['last christmas', '2024-12-22T00:00Z', '2024-12-29T00:00Z'],
          ['Christmas 2023', '2023-12-22T00:00Z', '2023-12-29T00:00Z'],
          ['new year', '2024-12-29T00:00Z', '2025-01-05T00:00Z'],
          ["new year's day", '2024-12-29T00:00Z', '2025-01-05T00:00Z'],
          ['valentine', '2024-02-13T00:00Z', '2024-02-16T00:00Z'],
          ["Valentine's Day", '2024-02-13T00:00Z', '2024-02-16T00:00Z'],
          ['halloween', '2024-10-28T00:00Z', '2024-11-04T00:00Z'],
          ['thanksgiving', '2024-11-25T00:00Z', '2024-12-02T00:00Z'],
          ['thanksgiving 2023', '2023-11-20T00:00Z', '2023-11-27T00:00Z'],
        ],
        WEDNESDAY_IN_JANUARY,
        UTC,
      );
    });

    describe('during the Christmas window', () => {
      itParses(
        [
          ['christmas', '2024-12-22T00:00Z', '2024-12-29T00:00Z'],
          ['last christmas', '2023-12-22T00:00Z', '2023-12-29T00:00Z'],
        ],
        new Date('2024-12-23T12:00:00Z'),
        UTC,
      );
    });
  });

  describe('times of day', () => {
    itParses(
      [
        ['yesterday evening', '2025-01-07T18:00Z', '2025-01-07T22:00Z'],
        ['yesterday morning', '2025-01-07T05:00Z', '2025-01-07T12:00Z'],
        ['yesterday in the afternoon', '2025-01-07T13:00Z', '2025-01-07T18:00Z'],
        ['yesterday at noon', '2025-01-07T12:00Z', '2025-01-07T13:00Z'],
        ['yesterday at midnight', '2025-01-07T00:00Z', '2025-01-07T01:00Z'],
        ['yesterday night', '2025-01-07T22:00Z', '2025-01-08T05:00Z'],
        ['last night', '2025-01-07T22:00Z', '2025-01-08T05:00Z'],
        ['tonight', '2025-01-08T22:00Z', '2025-01-09T05:00Z'],
        ['this morning', '2025-01-08T05:00Z', '2025-01-08T12:00Z'],
        ['monday afternoon', '2025-01-06T13:00Z', '2025-01-06T18:00Z'],
        ['2 days ago in the evening', '2025-01-06T18:00Z', '2025-01-06T22:00Z'],
        ['3/5 in the morning', '2024-03-05T05:00Z', '2024-03-05T12:00Z'],
        // At 15:30 this morning has begun but this evening has not: a bare time of day is the latest begun.
        ['morning', '2025-01-08T05:00Z', '2025-01-08T12:00Z'],
        ['evening', '2025-01-07T18:00Z', '2025-01-07T22:00Z'],
      ],
      WEDNESDAY_IN_JANUARY,
      UTC,
    );

    it('before 05:00 "tonight" is the night already under way', () => {
      const range = parseTimeExpression('tonight', new Date('2025-01-08T02:00:00Z'), UTC);
      assertRange(range, '2025-01-07T22:00Z', '2025-01-08T05:00Z');
    });
  });

  describe('numeric dates (US order)', () => {
    itParses(
      [
        ['2024-03-05', '2024-03-05T00:00Z', '2024-03-06T00:00Z'],
        ['2024-3-5', '2024-03-05T00:00Z', '2024-03-06T00:00Z'],
        ['on 2024-02-29', '2024-02-29T00:00Z', '2024-03-01T00:00Z'],
        ['3/5', '2024-03-05T00:00Z', '2024-03-06T00:00Z'],
        ['1/8', '2025-01-08T00:00Z', '2025-01-09T00:00Z'],
        ['12/25', '2024-12-25T00:00Z', '2024-12-26T00:00Z'],
        ['2/29', '2024-02-29T00:00Z', '2024-03-01T00:00Z'],
        ['3/5/24', '2024-03-05T00:00Z', '2024-03-06T00:00Z'],
        ['12/31/99', '1999-12-31T00:00Z', '2000-01-01T00:00Z'],
        ['03/05/2024', '2024-03-05T00:00Z', '2024-03-06T00:00Z'],
        ['2024-03', '2024-03-01T00:00Z', '2024-04-01T00:00Z'],
      ],
      WEDNESDAY_IN_JANUARY,
      UTC,
    );
  });

  describe('halves and quarters', () => {
    itParses(
      [
        ['first half of 2024', '2024-01-01T00:00Z', '2024-07-01T00:00Z'],
        ['second half of 2023', '2023-07-01T00:00Z', '2024-01-01T00:00Z'],
        ['H2 2024', '2024-07-01T00:00Z', '2025-01-01T00:00Z'],
        ['1st quarter', '2025-01-01T00:00Z', '2025-04-01T00:00Z'],
        ['fourth quarter of 2023', '2023-10-01T00:00Z', '2024-01-01T00:00Z'],
        ['third quarter 2024', '2024-07-01T00:00Z', '2024-10-01T00:00Z'],
        ['Q1 2024', '2024-01-01T00:00Z', '2024-04-01T00:00Z'],
        ['q3', '2025-07-01T00:00Z', '2025-10-01T00:00Z'],
      ],
      WEDNESDAY_IN_JANUARY,
      UTC,
    );
  });

  describe('between, from … to, and open ranges', () => {
    itParses(
      [
        ['between 2024-01-01 and 2024-01-31', '2024-01-01T00:00Z', '2024-02-01T00:00Z'],
        ['between march and may', '2024-03-01T00:00Z', '2024-06-01T00:00Z'],
        ['between last week and yesterday', '2024-12-30T00:00Z', '2025-01-08T00:00Z'],
        ['between friday and monday', '2025-01-03T00:00Z', '2025-01-07T00:00Z'],
        ['from monday to yesterday', '2025-01-06T00:00Z', '2025-01-08T00:00Z'],
        ['from 3/1 through 3/15', '2024-03-01T00:00Z', '2024-03-16T00:00Z'],
        // Friday resolves to last week's, before monday: the friday meant is still to come.
        ['between monday and friday', '2025-01-06T00:00Z', '2025-01-08T15:30Z'],
        ['since yesterday', '2025-01-07T00:00Z', undefined],
        ['since last night', '2025-01-07T22:00Z', undefined],
        ['after 2024-06-30', '2024-07-01T00:00Z', undefined],
        ['before 2024', undefined, '2024-01-01T00:00Z'],
        ['until last week', undefined, '2025-01-06T00:00Z'],
      ],
      WEDNESDAY_IN_JANUARY,
      UTC,
    );

    it('refuses a reversed range whose end names its year: that end has no later occurrence to mean', () => {
      for (const phrase of [
        'between 2024-06-01 and 2024-01-01',
        'from 3 may 2024 to 1 may 2024',
        'between july 2024 and march 2024',
      ]) {
        // The phrase was understood: the refusal says what is wrong with it, not that it cannot be read.
        assert.throws(
          () => parseTimeExpression(phrase, WEDNESDAY_IN_JANUARY, UTC),
          { message: `The time expression "${phrase}" ends before it starts: put the earlier date first` },
          phrase,
        );
      }
    });

    it('leaves an open bound out of the result rather than setting it to undefined', () => {
      assert.deepEqual(Object.keys(parseTimeExpression('since yesterday', WEDNESDAY_IN_JANUARY, UTC)), ['startMs']);
      assert.deepEqual(Object.keys(parseTimeExpression('before 2024', WEDNESDAY_IN_JANUARY, UTC)), ['endMs']);
    });
  });

  describe('ISO ranges and timestamps', () => {
    itParses(
      [
        ['2024-01-01..2024-01-31', '2024-01-01T00:00Z', '2024-02-01T00:00Z'],
        ['2024-01-01/2024-02-01', '2024-01-01T00:00Z', '2024-02-01T00:00Z'],
        ['2024-01-01..', '2024-01-01T00:00Z', undefined],
        ['..2024-01-31', undefined, '2024-02-01T00:00Z'],
        ['2024-01-01/..', '2024-01-01T00:00Z', undefined],
        ['2024-01..2024-03', '2024-01-01T00:00Z', '2024-04-01T00:00Z'],
        ['2024-03-05T14:30:00Z', '2024-03-05T14:30:00Z', '2024-03-05T14:30:01Z'],
        ['2024-03-05T14:30Z', '2024-03-05T14:30Z', '2024-03-05T14:31Z'],
        ['2024-03-05T14:30:00.250+01:00', '2024-03-05T13:30:00.250Z', '2024-03-05T13:30:00.251Z'],
        ['2024-03-05T14:30:00Z/2024-03-05T18:00:00Z', '2024-03-05T14:30:00Z', '2024-03-05T18:00:00Z'],
        ['2024-03-05T10:00..2024-03-05T12:00', '2024-03-05T10:00Z', '2024-03-05T12:01Z'],
        ['since 2024-03-05T14:30:00-05:00', '2024-03-05T19:30:00Z', undefined],
      ],
      WEDNESDAY_IN_JANUARY,
      UTC,
    );
  });

  describe('in America/New_York', () => {
    describe("on new year's eve, when UTC has already reached 2025", () => {
      itParses(
        [
          ['today', '2024-12-31T05:00Z', '2025-01-01T05:00Z'],
          // November 2024 began in daylight time (UTC−4) and ended in standard time (UTC−5).
          ['last month', '2024-11-01T04:00Z', '2024-12-01T05:00Z'],
          ['last year', '2023-01-01T05:00Z', '2024-01-01T05:00Z'],
          ['this year', '2024-01-01T05:00Z', '2025-01-01T05:00Z'],
          ['christmas', '2024-12-22T05:00Z', '2024-12-29T05:00Z'],
          ['new year', '2024-12-29T05:00Z', '2025-01-05T05:00Z'],
          ['tonight', '2025-01-01T03:00Z', '2025-01-01T10:00Z'],
          ['2024-03-05T14:30', '2024-03-05T19:30Z', '2024-03-05T19:31Z'],
        ],
        NEW_YEARS_EVE_IN_NEW_YORK,
        NEW_YORK,
      );

      it('differs from UTC, where it is already 2025', () => {
        assertRange(
          parseTimeExpression('last month', NEW_YEARS_EVE_IN_NEW_YORK, UTC),
          '2024-12-01T00:00Z',
          '2025-01-01T00:00Z',
        );
        assertRange(
          parseTimeExpression('last year', NEW_YEARS_EVE_IN_NEW_YORK, UTC),
          '2024-01-01T00:00Z',
          '2025-01-01T00:00Z',
        );
      });
    });

    describe('the day after clocks went forward (10 March 2024, a 23-hour day)', () => {
      itParses(
        [
          ['yesterday', '2024-03-10T05:00Z', '2024-03-11T04:00Z'],
          ['last night', '2024-03-11T02:00Z', '2024-03-11T09:00Z'],
          ['last week', '2024-03-04T05:00Z', '2024-03-11T04:00Z'],
          // 02:30 never happened that day: it is read as 03:30 daylight time.
          ['2024-03-10T02:30', '2024-03-10T07:30Z', '2024-03-10T07:31Z'],
        ],
        new Date('2024-03-11T16:00:00Z'),
        NEW_YORK,
      );
    });

    describe('a rolling window across the change keeps the wall-clock time', () => {
      itParses([['last 3 days', '2024-03-09T13:00Z', '2024-03-12T12:00Z']], new Date('2024-03-12T12:00:00Z'), NEW_YORK);
    });

    describe('hours ago, counted back across the change (now 04:30 daylight time)', () => {
      itParses(
        [
          ['an hour ago', '2024-03-10T07:00Z', '2024-03-10T08:00Z'],
          ['2 hours ago', '2024-03-10T06:00Z', '2024-03-10T07:00Z'],
          ['today', '2024-03-10T05:00Z', '2024-03-11T04:00Z'],
        ],
        new Date('2024-03-10T08:30:00Z'),
        NEW_YORK,
      );
    });

    describe('the day after clocks went back (3 November 2024, a 25-hour day)', () => {
      itParses(
        [
          ['yesterday', '2024-11-03T04:00Z', '2024-11-04T05:00Z'],
          // 01:30 happened twice that night: the first one is meant.
          ['2024-11-03T01:30', '2024-11-03T05:30Z', '2024-11-03T05:31Z'],
        ],
        new Date('2024-11-04T12:00:00Z'),
        NEW_YORK,
      );
    });
  });

  describe('other zones', () => {
    it('starts a day whose midnight was skipped when clocks went forward (America/Santiago, 8 September 2024)', () => {
      const range = parseTimeExpression('yesterday', new Date('2024-09-09T12:00:00Z'), 'America/Santiago');
      assertRange(range, '2024-09-08T04:00Z', '2024-09-09T03:00Z');
    });

    it('uses the wall-clock hours of a half-hour zone (Asia/Kolkata)', () => {
      const range = parseTimeExpression('an hour ago', new Date('2025-01-08T10:10:00Z'), 'Asia/Kolkata');
      assertRange(range, '2025-01-08T08:30Z', '2025-01-08T09:30Z');
    });
  });

  describe('rejections', () => {
    it('rejects text that is not a time expression, naming it', () => {
      for (const phrase of ['', '   ', 'foo', 'last', 'next week', 'yesterday banana', 'between monday and', 'since']) {
        assertRejected(phrase);
      }
    });

    it('rejects impossible dates', () => {
      for (const phrase of [
        '2024-02-30',
        '2023-02-29',
        '2024-13-01',
        '2024-13',
        '13/01/2024',
        '2/30',
        'february 30',
        'february 29 2023',
        'march 32',
        '2024-03-10T24:00',
        '2024-03-10T10:60',
        '0999-01-01',
      ]) {
        assertRejected(phrase);
      }
    });

    it('rejects ranges that are empty or out of the supported years', () => {
      for (const phrase of ['2024-02-01..2024-01-01', 'last 0 days', '999999 years ago', 'last 999999 months']) {
        assertRejected(phrase);
      }
    });

    it(`rejects input longer than ${MAX_TIME_EXPRESSION_LENGTH} characters, even around a valid phrase`, () => {
      const padded = 'yesterday'.padEnd(MAX_TIME_EXPRESSION_LENGTH + 1);
      assert.throws(() => parseTimeExpression(padded, WEDNESDAY_IN_JANUARY, UTC), InvalidTimeExpression);
      const atTheCap = 'yesterday'.padEnd(MAX_TIME_EXPRESSION_LENGTH);
      assertRange(parseTimeExpression(atTheCap, WEDNESDAY_IN_JANUARY, UTC), '2025-01-07T00:00Z', '2025-01-08T00:00Z');
    });

    it('never throws anything but InvalidTimeExpression for odd words', () => {
      for (const phrase of [
        'constructor days ago',
        '__proto__',
        'toString',
        'hasOwnProperty quarter',
        '…',
        '-1 days ago',
      ]) {
        assertRejected(phrase);
      }
    });
  });

  describe('adversarial input', () => {
    const inputs = [
      'between '.repeat(62),
      'from '.repeat(100),
      'since between from after '.repeat(20),
      'last '.repeat(100),
      'in the '.repeat(71),
      '1/'.repeat(250),
      '2024-01-01..'.repeat(41),
      '2024-01-01t10:00:00.' + '1'.repeat(480),
      '9'.repeat(500),
      '-'.repeat(500),
      '.'.repeat(500),
      'a'.repeat(500),
      'yesterday '.repeat(50),
    ].map((input) => input.slice(0, MAX_TIME_EXPRESSION_LENGTH));

    for (const input of inputs) {
      it(`is refused, and its cost grows linearly when repeated: "${input.slice(0, 24)}…" (${input.length} chars)`, () => {
        assert.throws(() => parseTimeExpression(input, WEDNESDAY_IN_JANUARY, NEW_YORK), InvalidTimeExpression);
        assertLinearCost(
          'extracting a time expression',
          (scale) => input.repeat(8 * scale),
          (text) => extractTimeExpression(text, WEDNESDAY_IN_JANUARY, NEW_YORK),
        );
      });
    }
  });
});

describe('extractTimeExpression', () => {
  type ExtractCase = [query: string, start: string | undefined, end: string | undefined, rest: string];

  const withPhrase: ExtractCase[] = [
    [
      'what did I decide yesterday about the database',
      '2025-01-07T00:00Z',
      '2025-01-08T00:00Z',
      'what did I decide about the database',
    ],
    ['notes from last week on auth', '2024-12-30T00:00Z', '2025-01-06T00:00Z', 'notes on auth'],
    ['Yesterday, what did I decide?', '2025-01-07T00:00Z', '2025-01-08T00:00Z', 'what did I decide?'],
    ['what did I decide yesterday?', '2025-01-07T00:00Z', '2025-01-08T00:00Z', 'what did I decide?'],
    [
      'what did we discuss in the spring about hiring',
      '2024-03-20T00:00Z',
      '2024-06-21T00:00Z',
      'what did we discuss about hiring',
    ],
    ['meetings in may', '2024-05-01T00:00Z', '2024-06-01T00:00Z', 'meetings'],
    ['what happened in 2024 with the db', '2024-01-01T00:00Z', '2025-01-01T00:00Z', 'what happened with the db'],
    ['on 3/4 we migrated', '2024-03-04T00:00Z', '2024-03-05T00:00Z', 'we migrated'],
    ['recent decisions about postgres', '2025-01-01T15:30Z', '2025-01-08T15:30Z', 'decisions about postgres'],
    ['what shipped between 2024-01-01 and 2024-01-31', '2024-01-01T00:00Z', '2024-02-01T00:00Z', 'what shipped'],
    ['summary of the last 3 days please', '2025-01-05T15:30Z', '2025-01-08T15:30Z', 'summary please'],
    ['what did I say this morning about X', '2025-01-08T05:00Z', '2025-01-08T12:00Z', 'what did I say about X'],
    ['deploys since 2024-06-01', '2024-06-01T00:00Z', undefined, 'deploys'],
    ['yesterday evening   and  last week', '2025-01-07T18:00Z', '2025-01-07T22:00Z', 'and last week'],
    ['last night', '2025-01-07T22:00Z', '2025-01-08T05:00Z', ''],
  ];

  for (const [query, start, end, rest] of withPhrase) {
    it(`"${query}" → ${describeRange(start, end)}, rest "${rest}"`, () => {
      const result = extractTimeExpression(query, WEDNESDAY_IN_JANUARY, UTC);
      assertRange(result.range, start, end);
      assert.equal(result.rest, rest);
    });
  }

  const withoutPhrase: Array<[query: string, rest: string]> = [
    ['spring boot config', 'spring boot config'],
    ['may I see the notes', 'may I see the notes'],
    ['fall back to the cache', 'fall back to the cache'],
    ['error 1234 in the logs', 'error 1234 in the logs'],
    ['3/4 of tests fail', '3/4 of tests fail'],
    ['the morning standup', 'the morning standup'],
    // An impossible date in free text is taken as not being a date.
    ['bug 2024-02-30 in the parser', 'bug 2024-02-30 in the parser'],
    ['  hello   world ', 'hello world'],
    ['', ''],
  ];

  for (const [query, rest] of withoutPhrase) {
    it(`finds no time phrase in "${query}"`, () => {
      assert.deepEqual(extractTimeExpression(query, WEDNESDAY_IN_JANUARY, UTC), { rest });
    });
  }

  it('resolves the phrase in the given time zone', () => {
    const result = extractTimeExpression('what did I do today', NEW_YEARS_EVE_IN_NEW_YORK, NEW_YORK);
    assertRange(result.range, '2024-12-31T05:00Z', '2025-01-01T05:00Z');
    assert.equal(result.rest, 'what did I do');
  });
});

describe('findTimeRange', () => {
  it('finds the range extractTimeExpression finds, and none in a text without a time word or a digit', () => {
    const texts = [
      'We met last tuesday at noon',
      'Moved to Berlin in march 2023, after the wedding',
      'The launch slipped two weeks ago',
      'Mia: I adopted a cat and named her Pepper!',
      'Caroline went to the LGBTQ support group yesterday evening',
    ];
    for (const text of texts) {
      assert.deepEqual(
        findTimeRange(text, WEDNESDAY_IN_JANUARY, UTC),
        extractTimeExpression(text, WEDNESDAY_IN_JANUARY, UTC).range,
        text,
      );
    }
    assert.equal(findTimeRange(texts[3], WEDNESDAY_IN_JANUARY, UTC), undefined);
    assert.ok(findTimeRange(texts[4], WEDNESDAY_IN_JANUARY, UTC));
  });

  it('finds phrases whose first time word comes late: after an operator, a qualifier and a count', () => {
    for (const [text, start, end] of [
      ['busy since last two weeks, sadly', '2024-12-25T15:30Z', undefined],
      ['it shipped between last two weeks and today', '2024-12-25T15:30Z', '2025-01-09T00:00Z'],
      ['revenue grew since first half of 2024', '2024-01-01T00:00Z', undefined],
    ] as const) {
      assertRange(findTimeRange(text, WEDNESDAY_IN_JANUARY, UTC), start, end);
    }
  });
});
