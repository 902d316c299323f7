import { z } from 'zod';
import { queryInteger } from '../common/request-fields';

export const JobIdParam = z
  .string()
  .regex(/^[A-Za-z0-9:_-]{1,120}$/, 'a job id is letters, digits, :, _ or - (as returned when the job was queued)');

export const ListJobsQuery = z.strictObject({
  limit: queryInteger(1, 200, 50).describe('Most recent jobs to return (1-200)'),
});
export type ListJobsInput = z.infer<typeof ListJobsQuery>;
