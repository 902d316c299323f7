import { EngramEvent } from '../../src/events/engram-event';

/** Lines the Activity feed keeps. */
export const MAX_ACTIVITY = 200;

/**
 * One line of the feed: an event, and for a job still running the latest progress it reported. A job is
 * one line: progress updates it where it stands, and its end replaces it at the top.
 */
export interface ActivityLine {
  event: EngramEvent;
  progress?: EngramEvent;
}

const JOB_ENDS: ReadonlySet<string> = new Set(['job_completed', 'job_failed']);

function jobOf(event: EngramEvent): unknown {
  return event.type.startsWith('job_') ? event.payload.job_id : undefined;
}

/** The feed, newest first, after `event`: a job's events fold into its one line. */
export function addToActivity(feed: ActivityLine[], event: EngramEvent): ActivityLine[] {
  const job = jobOf(event);
  const at = job === undefined ? -1 : feed.findIndex((line) => jobOf(line.event) === job);
  if (event.type === 'job_progress' && at !== -1) {
    if (JOB_ENDS.has(feed[at].event.type)) return feed; // the job has ended: a late report changes nothing
    return feed.map((line, index) => (index === at ? { ...line, progress: event } : line));
  }
  const line = event.type === 'job_progress' ? { event, progress: event } : { event };
  return [line, ...feed.filter((_, index) => index !== at)].slice(0, MAX_ACTIVITY);
}

/** The feed from the server's kept events, newest first. */
export function activityFrom(newestFirst: EngramEvent[]): ActivityLine[] {
  return newestFirst.reduceRight<ActivityLine[]>((feed, event) => addToActivity(feed, event), []);
}
