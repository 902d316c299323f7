import { z } from 'zod';
import { DomainError } from '../common/domain-errors';
import { describeIssues, ValidationIssue } from '../common/zod-validation.pipe';

/** zod's own wording ("Invalid option: expected one of "a"|"b"", "Too small: expected number to be >=1"). */
const ZOD_DEFAULT = /^(Invalid option|Invalid input|Too small|Too big)\b/;

/**
 * The problems of a request built from flags, each in the words of the flag the user typed: a
 * schema's own message without the request field it names ("--type: must be a word of …" for
 * "memory_type is a word of …"), zod's default wording said plainly ("--mode: expected hybrid,
 * semantic or keyword", "--name is required").
 */
export function describeFlagIssues(error: z.ZodError, flagOf: (field: string) => string): string {
  // describeIssues lists the issues in order (and one last line counting the rest, without a path).
  return describeIssues(error)
    .map(({ path, message }, index) => {
      if (path === '') return message;
      const field = path.split('.')[0];
      const flag = flagOf(field);
      if (ZOD_DEFAULT.test(message)) return plainly(flag, error.issues[index], message);
      return `${flag}: ${withoutField(field, message)}`;
    })
    .join('; ');
}

/**
 * A schema's message as REST clients read it names the field ("memory_type is a word of …", "content
 * must not be empty"); after the flag the user typed, the field's name would only puzzle.
 */
function withoutField(field: string, message: string): string {
  if (!message.startsWith(`${field} `)) return message;
  const rest = message.slice(field.length + 1);
  return rest.startsWith('is ') ? `must be ${rest.slice('is '.length)}` : rest;
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

/**
 * A service's refusal of a request built from flags, after the flag when it is about one field the user
 * gave as a flag ("--items: not in proposal set cs-…: 7" for "item_ids not in proposal set cs-…: 7").
 */
export function describeRefusal(error: DomainError, flagOf: (field: string) => string | undefined): string {
  const issues = (error.details as { issues?: ValidationIssue[] } | undefined)?.issues ?? [];
  const fields = [...new Set(issues.map(({ path }) => path.split('.')[0]))];
  const flag = fields.length === 1 ? flagOf(fields[0]) : undefined;
  return flag === undefined ? error.message : `${flag}: ${withoutField(fields[0], error.message)}`;
}
