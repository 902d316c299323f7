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
    message: messageOf(issue),
  }));
  const more = error.issues.length - listed.length;
  return more > 0 ? [...listed, { path: '', message: `and ${more} more problem(s)` }] : listed;
}

function messageOf(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys') return `unknown field(s) ${issue.keys.join(', ')}`;
  if (issue.code === 'invalid_union' && issue.errors.length > 0) return unionMessage(issue.errors);
  return issue.message;
}

/**
 * A field that takes several forms (epoch seconds or an ISO date; a tag list or one string): the problem
 * of the form the value was meant to take, the one whose type it has. zod's own message is only
 * "Invalid input".
 */
function unionMessage(branches: readonly (readonly z.core.$ZodIssue[])[]): string {
  const firsts = branches.map((issues) => issues[0]).filter((issue) => issue !== undefined);
  const wrongType = (issue: z.core.$ZodIssue) => issue.code === 'invalid_type' && issue.path.length === 0;
  const meant = firsts.filter((issue) => !wrongType(issue));
  if (meant.length === 0) {
    const expected = [...new Set(firsts.map((issue) => (issue.code === 'invalid_type' ? issue.expected : '')))];
    return `Invalid input: expected ${expected.filter(Boolean).join(' or ')}`;
  }
  const described = meant.map((issue) => (issue.path.length ? `${issue.path.join('.')}: ` : '') + issue.message);
  return [...new Set(described)].join('; or ');
}
