import { z } from 'zod';

export const JobIdParam = z
  .string()
  .regex(/^[A-Za-z0-9:_-]{1,120}$/, 'a job id is letters, digits, :, _ or - (as returned when the job was queued)');

export const ListJobsQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(200).default(50).describe('Most recent jobs to return (1-200)'),
});
export type ListJobsInput = z.infer<typeof ListJobsQuery>;
