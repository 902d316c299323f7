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
    const result = this.schema.safeParse(value ?? (this.part === 'body' ? undefined : {}));
    if (result.success) return result.data;
    const issues = describeIssues(result.error);
    const summary = issues.map((issue) => (issue.path ? `${issue.path}: ${issue.message}` : issue.message));
    throw new InvalidInput(`Invalid request ${this.part}: ${summary.join('; ')}`, { issues });
  }
}

export function describeIssues(error: z.ZodError): ValidationIssue[] {
  return error.issues.map((issue) => ({
    path: issue.path.map(String).join('.'),
    message: issue.code === 'unrecognized_keys' ? `unknown field(s) ${issue.keys.join(', ')}` : issue.message,
  }));
}
