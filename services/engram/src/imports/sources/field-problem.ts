import { z } from 'zod';

type Issue = z.core.$ZodIssue;
type Path = readonly PropertyKey[];

/** Values quoted in a reason are cut to this many characters: enough to recognise, never a whole memory. */
const SHOWN_CHARS = 40;

const KINDS: Record<string, string> = {
  string: 'text',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  object: 'an object',
  record: 'an object',
  array: 'a list',
  null: 'null',
};

/**
 * Why an item of an export does not fit, for the person who exported it rather than for zod: the first
 * problem, the field named by the export's own keys (`"chat_messages" → entry 2 → "sender"`, entries
 * counted from 1), and what was found against what was expected in plain words
 * (`"content" is a number, expected text`). `value` is the item as read, to say what the field holds.
 */
export function fieldProblem(error: z.ZodError, value: unknown): string {
  return describe(error.issues[0], [], value);
}

function describe(issue: Issue, prefix: Path, item: unknown): string {
  const path = [...prefix, ...issue.path];
  const subject = fieldName(path);
  const found = valueAt(item, path);
  switch (issue.code) {
    case 'invalid_type':
      return `${subject} ${isWhat(found, issue.expected)}, expected ${kind(issue.expected)}`;
    case 'invalid_union':
      return unionProblem(issue, path, item);
    case 'invalid_value':
      return `${subject} ${isWhat(found)}, expected ${issue.values.map((allowed) => shown(allowed)).join(' or ')}`;
    case 'too_small':
      if (issue.origin === 'string' && Number(issue.minimum) <= 1) return `${subject} is empty`;
      return `${subject} ${isWhat(found)}${ownWords(issue.message) ?? `, expected ${bound(issue, 'at least', 'above')}`}`;
    case 'too_big':
      return `${subject} ${isWhat(found)}${ownWords(issue.message) ?? `, expected ${bound(issue, 'at most', 'below')}`}`;
    case 'invalid_format':
      return `${subject} ${isWhat(found)}, expected ${requirement(issue.message, path)}`;
    default:
      return ownSentence(issue.message, path, subject);
  }
}

/**
 * A union names its alternatives' problems. The alternative that got furthest into the value (`tags` is a
 * list, but entry 2 of it is not text) says the most; when none got past the field itself, the field is
 * of none of the kinds the alternatives take.
 */
function unionProblem(issue: z.core.$ZodIssueInvalidUnion, path: Path, item: unknown): string {
  const firsts = issue.errors.map((alternative) => alternative[0]).filter((first) => first !== undefined);
  const deepest = firsts.reduce<Issue | undefined>(
    (best, first) => (first.path.length > (best?.path.length ?? 0) ? first : best),
    undefined,
  );
  if (deepest) return describe(deepest, path, item);
  const found = valueAt(item, path);
  const options = (issue as { options?: unknown[] }).options;
  if (options) return `${fieldName(path)} ${isWhat(found)}, expected ${options.map(shown).join(' or ')}`;
  const expected = firsts.flatMap((first) => (first.code === 'invalid_type' ? [kind(first.expected)] : []));
  if (expected.length === 0) return `${fieldName(path)} ${isWhat(found)}, which this export never holds there`;
  return `${fieldName(path)} ${isWhat(found, 'union')}, expected ${[...new Set(expected)].join(' or ')}`;
}

/** `"mapping" → "a1" → "message"`; `it` for the item itself. */
function fieldName(path: Path): string {
  if (path.length === 0) return 'it';
  return path.map((key) => (typeof key === 'number' ? `entry ${key + 1}` : JSON.stringify(String(key)))).join(' → ');
}

/** The field's value in the item as read (own keys only: a key such as `constructor` is not inherited). */
function valueAt(item: unknown, path: Path): unknown {
  let value = item;
  for (const key of path) {
    if (value === null || typeof value !== 'object' || !Object.hasOwn(value, key)) return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

/**
 * `is missing`, `is a number` when the kind is wrong (`expected` given), else the value itself: `is 1.5`
 * (also when a whole number was expected: the number is what is wrong).
 */
function isWhat(value: unknown, expected?: string): string {
  if (value === undefined) return 'is missing';
  if (value === null) return 'is null';
  if (Array.isArray(value)) return 'is a list';
  switch (typeof value) {
    case 'string':
      return expected === undefined ? `is ${shown(value)}` : 'is text';
    case 'number':
      return expected === undefined || expected === 'int' ? `is ${value}` : 'is a number';
    case 'boolean':
      return `is ${value}`;
    default:
      return 'is an object';
  }
}

function kind(expected: string): string {
  return KINDS[expected] ?? expected;
}

function shown(value: unknown): string {
  if (typeof value !== 'string') return String(value);
  return JSON.stringify(value.length > SHOWN_CHARS ? `${value.slice(0, SHOWN_CHARS)}…` : value);
}

function bound(
  issue: { minimum?: unknown; maximum?: unknown; inclusive?: boolean },
  inclusive: string,
  strict: string,
) {
  const limit = issue.minimum ?? issue.maximum;
  return `${issue.inclusive ? inclusive : strict} ${String(limit)}`;
}

/** A message a schema of ours gave (zod's own start "Too small" / "Too big"), after a colon. */
function ownWords(message: string): string | undefined {
  return /^Too (small|big)\b/.test(message) ? undefined : `: ${message}`;
}

/** A format's message as a requirement: "memory_type is a word of letters…" → "a word of letters…". */
function requirement(message: string, path: Path): string {
  return withoutFieldName(message, path).replace(/^is /, '');
}

/** A refinement of ours says what is wrong as a predicate ("is empty"); zod's own words follow a colon. */
function ownSentence(message: string, path: Path, subject: string): string {
  const predicate = withoutFieldName(message, path);
  return predicate === message && /^Invalid\b/.test(message) ? `${subject}: ${message}` : `${subject} ${predicate}`;
}

/** Messages of our schemas may start with the field's own name ("content is empty"); it is said once. */
function withoutFieldName(message: string, path: Path): string {
  const key = path.at(-1);
  return typeof key === 'string' && message.startsWith(`${key} `) ? message.slice(key.length + 1) : message;
}
