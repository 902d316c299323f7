import { CronExpressionParser } from 'cron-parser';

/** The next time a cron expression fires after `from` (UTC, as BullMQ's repeatable jobs use). */
export function nextCronRun(cron: string, from = new Date()): Date {
  return CronExpressionParser.parse(cron, { currentDate: from, tz: 'UTC' }).next().toDate();
}

/** Deterministic id of the job a schedule fires at a given time: a second scheduler adds nothing. */
export function scheduledJobId(name: string, at: Date): string {
  return `scheduled-${name}-${at.getTime()}`;
}
