import { PipeTransform } from '@nestjs/common';
import { z } from 'zod';
import { InvalidInput } from './domain-errors';

export interface ValidationIssue {
  path: string;
  message: string;
}

/** Validates a request part against its zod schema: the parsed value, or 400 naming every problem. */
export class ZodValidationPipe<T extends z.ZodType> implements PipeTransform<unknown, z.output<T>> {
  constructor(
    private readonly schema: T,
    private readonly part: 'body' | 'query' | 'path',
  ) {}

  transform(value: unknown): z.output<T> {
    // A body of JSON `null` stays null (refused unless the schema takes it); absent query or path is `{}`.
    const result = this.schema.safeParse(this.part === 'body' ? value : (value ?? {}));
    if (result.success) return result.data;
    const issues = describeIssues(result.error);
    const summary = issues.map((issue) => (issue.path ? `${issue.path}: ${issue.message}` : issue.message));
    throw new InvalidInput(`Invalid request ${this.part}: ${summary.join('; ')}`, { issues });
  }
}

/**
 * Problems named in one answer: a batch of a million bad items must not answer with a million problems
 * (an error body many times the request's size, built in the server's memory).
 */
export const MAX_LISTED_ISSUES = 20;

/** The first MAX_LISTED_ISSUES problems, and one more entry counting the rest. */
export function describeIssues(error: z.ZodError): ValidationIssue[] {
  const listed: ValidationIssue[] = error.issues.slice(0, MAX_LISTED_ISSUES).map((issue) => ({
    path: issue.path.map(String).join('.'),
    message: issue.code === 'unrecognized_keys' ? `unknown field(s) ${issue.keys.join(', ')}` : issue.message,
  }));
  const more = error.issues.length - listed.length;
  return more > 0 ? [...listed, { path: '', message: `and ${more} more problem(s)` }] : listed;
}
