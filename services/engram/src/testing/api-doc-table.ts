import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** docs/api.md, the REST overview the api-reference specs hold to the running api. */
export const API_DOC = readFileSync(join(__dirname, '..', '..', '..', '..', 'docs', 'api.md'), 'utf8');

export interface DocumentedRoute {
  method: string;
  path: string;
  /** The table's "Body / query" column. */
  request: string;
  /** The table's "Answer" column. */
  answer: string;
}

/** The `METHOD /path` routes of the first column of docs/api.md's route table, with their other columns. */
export function tableRoutes(doc = API_DOC): DocumentedRoute[] {
  return doc
    .split('\n')
    .filter((line) => /^\| `(GET|POST|PUT|DELETE|PATCH) \//.test(line))
    .flatMap((line) => {
      // `\|` inside a cell (`state: waiting\|active`) is a pipe of the text, not a column's end.
      const [, routes, request, answer] = line.split(/(?<!\\)\|/);
      return [...routes.matchAll(/`(GET|POST|PUT|DELETE|PATCH) (\/[^`\s]*)`/g)].map(([, method, path]) => ({
        method,
        path,
        request: request.trim(),
        answer: answer.trim(),
      }));
    });
}

/**
 * The fields an object of the docs names: each with whether it may be left out (`reason?`) and, when the
 * docs spell them out (`results[{index, status}]`, `endpoint{configured}`), the fields of its value or of
 * each item of it. `open` when the docs end the list with `…` (more fields may follow).
 */
export interface DocumentedObject {
  fields: Map<string, { optional: boolean; value?: DocumentedObject }>;
  open: boolean;
}

/** What a memory is, from the page's "A memory: `{…}`" paragraph, with the fields it adds when linked. */
export function memoryObject(doc = API_DOC): DocumentedObject {
  const paragraph = /^A memory: `(\{[^`]*)`([^]*?)\n\n/m.exec(doc);
  if (!paragraph) throw new Error('docs/api.md has no "A memory: `{…}`" paragraph');
  const memory = parseObject(paragraph[1]);
  // "plus `supersedes` on a memory that replaced another and `superseded: true`, … on one that was replaced"
  const linked = /plus\s(.*?)\son one that was replaced/s.exec(paragraph[2])?.[1] ?? '';
  for (const [, name] of linked.matchAll(/`(\w+)/g)) memory.fields.set(name, { optional: true });
  return memory;
}

/**
 * The object an answer column describes, or undefined when it shows none: the first `{…}`, when no
 * other code comes before it (`201 {…}`, `the trash: {…}`), the memory for "the memory", or another
 * route's for "(as `GET /api/jobs/:id`)".
 */
export function answerObject(
  answer: string,
  memory = memoryObject(),
  table?: DocumentedRoute[],
): DocumentedObject | undefined {
  if (/^(\d{3} )?the memory\b/.test(answer)) return memory;
  const opening = /^[^`]*`\{/.exec(answer);
  if (opening) return parseObject(answer.slice(opening[0].length - 1), memory);
  const [, method, path] = /^[^`]*\(as `(\w+) ([^`]+)`\)/.exec(answer) ?? [];
  const same = (table ?? tableRoutes()).find((route) => route.method === method && route.path === path);
  return same && answerObject(same.answer, memory, table);
}

/**
 * Reads `{a, b?, c[{…}], d{…}, e: x\|y, f (a note), …g}` from its opening brace: `…memory` spreads the
 * memory's fields, and a `memory` field without its own braces is a memory.
 */
export function parseObject(text: string, memory?: DocumentedObject): DocumentedObject {
  const object: DocumentedObject = { fields: new Map(), open: false };
  for (const part of topLevelParts(text)) {
    const spread = /^…\s*(\w*)/.exec(part);
    if (spread) {
      if (spread[1] === 'memory' && memory) memory.fields.forEach((field, name) => object.fields.set(name, field));
      else object.open = true;
      continue;
    }
    const field = /^(\w+)(\?)?(?::\s*)?(\[?\{)?/.exec(part);
    if (!field) continue;
    const [head, name, optional, nested] = field;
    let value = nested ? parseObject(part.slice(head.length - 1), memory) : undefined;
    if (value && value.fields.size === 0 && !value.open) value = undefined;
    if (!value && name === 'memory' && memory) value = memory;
    object.fields.set(name, { optional: !!optional, value });
  }
  return object;
}

/** The comma-separated parts of the object opening `text`, up to its closing brace. */
function topLevelParts(text: string): string[] {
  const parts: string[] = [];
  let part = '';
  let depth = 0;
  for (const char of text.slice(1)) {
    if (depth === 0 && (char === ',' || char === '}')) {
      parts.push(part.trim());
      part = '';
      if (char === '}') break;
      continue;
    }
    if ('{[('.includes(char)) depth++;
    if ('}])'.includes(char)) depth--;
    part += char;
  }
  return parts.filter((piece) => piece !== '');
}

/**
 * Where `value` differs from what the docs say of it: `path: answered, not documented` or `path:
 * documented, not answered`. A field whose docs spell out its fields is compared inside too (every item
 * of an array).
 */
export function fieldMismatches(documented: DocumentedObject, value: unknown, at = ''): string[] {
  if (Array.isArray(value)) return value.flatMap((item) => fieldMismatches(documented, item, `${at}[]`));
  if (value === null || typeof value !== 'object') return [];
  const answered = value as Record<string, unknown>;
  const name = (field: string) => (at ? `${at}.${field}` : field);
  const wrong = Object.keys(answered)
    .filter((field) => !documented.fields.has(field) && !documented.open)
    .map((field) => `${name(field)}: answered, not documented`);
  for (const [field, { optional, value: inside }] of documented.fields) {
    if (!(field in answered)) {
      if (!optional) wrong.push(`${name(field)}: documented, not answered`);
    } else if (inside) wrong.push(...fieldMismatches(inside, answered[field], name(field)));
  }
  return [...new Set(wrong)];
}

/**
 * The request fields a route's "Body / query" column names outside its notes in parentheses: each
 * `field`, `{field, …}` and `?field=value`, the part for its method alone when the row serves several
 * (`PUT: {content}`), another route's with "as `POST /api/memories`". Headers (`X-Agent-ID`), values
 * (`note`) and settings (`ENGRAM_IMPORT_DIR`) are not fields.
 */
export function requestFields({ method, request }: DocumentedRoute, table = tableRoutes()): string[] {
  const [, asMethod, asPath] = /^as `(\w+) ([^`]+)`/.exec(request) ?? [];
  const same = asMethod && table.find((route) => route.method === asMethod && route.path === asPath);
  if (same) return requestFields(same, table);
  const perMethod = /\b(?:GET|POST|PUT|DELETE|PATCH): /.test(request);
  const own = perMethod ? (new RegExp(`\\b${method}: ([^;]*)`).exec(request)?.[1] ?? '') : request;
  const fields: string[] = [];
  let depth = 0;
  own.split('`').forEach((piece, index) => {
    if (index % 2 === 0) {
      for (const char of piece) depth += char === '(' ? 1 : char === ')' ? -1 : 0;
      return;
    }
    if (depth > 0 || /^[A-Z0-9_]+$/.test(piece)) return;
    if (/^\w+$/.test(piece)) fields.push(piece);
    else if (piece.startsWith('{')) fields.push(...parseObject(piece).fields.keys());
    else fields.push(...(/^\?(\w+)=/.exec(piece)?.slice(1) ?? []));
  });
  return [...new Set(fields)];
}
