import { z } from 'zod';
import { describeIssues } from '../common/zod-validation.pipe';

/** zod's own wording ("Invalid option: expected one of "a"|"b"", "Too small: expected number to be >=1"). */
const ZOD_DEFAULT = /^(Invalid option|Invalid input|Too small|Too big)\b/;

/**
 * The problems of a request built from flags, each in the words of the flag the user typed: a
 * schema's own message as it is, zod's default wording said plainly ("--mode: expected hybrid,
 * semantic or keyword", "--name is required").
 */
export function describeFlagIssues(error: z.ZodError, flagOf: (field: string) => string): string {
  // describeIssues lists the issues in order (and one last line counting the rest, without a path).
  return describeIssues(error)
    .map(({ path, message }, index) => {
      if (path === '') return message;
      const flag = flagOf(path.split('.')[0]);
      return ZOD_DEFAULT.test(message) ? plainly(flag, error.issues[index], message) : `${flag}: ${message}`;
    })
    .join('; ');
}

function plainly(flag: string, issue: z.core.$ZodIssue, message: string): string {
  switch (issue.code) {
    case 'invalid_value':
      return `${flag}: expected ${alternatives(issue.values.map(String))}`;
    case 'invalid_type':
      // Flags reach the schema as strings or not at all: a wrong type is a flag not given.
      return `${flag} is required`;
    case 'too_small':
      if (issue.origin === 'string' && Number(issue.minimum) === 1) return `${flag} must not be empty`;
      return `${flag}: at least ${String(issue.minimum)}${unitOf(issue.origin)}`;
    case 'too_big':
      return `${flag}: at most ${String(issue.maximum)}${unitOf(issue.origin)}`;
    default:
      return `${flag}: ${message}`;
  }
}

function unitOf(origin: string): string {
  return origin === 'string' ? ' characters' : origin === 'array' ? ' items' : '';
}

/** "a", "a or b", "a, b or c". */
function alternatives(values: string[]): string {
  return values.length < 2 ? values.join('') : `${values.slice(0, -1).join(', ')} or ${values.at(-1)}`;
}
