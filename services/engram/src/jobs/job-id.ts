import { randomBytes } from 'node:crypto';

/**
 * A new job's id: random, so a tenant reading its own job ids learns nothing of how many jobs other
 * namespaces queued between them (a counter would), and no id comes back after a restart.
 */
export function newJobId(): string {
  return `job-${randomBytes(9).toString('base64url')}`;
}
