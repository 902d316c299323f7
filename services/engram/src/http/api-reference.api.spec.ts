import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startOAuthTestApp } from '../testing/oauth-flow';
import { TestApp } from '../testing/test-app';
import { routesOf } from './create-app';

const DOCS = join(__dirname, '..', '..', '..', '..', 'docs');
const API_DOC = readFileSync(join(DOCS, 'api.md'), 'utf8');
/** `/mcp` is documented with its transport in docs/mcp.md. */
const MCP_DOC = readFileSync(join(DOCS, 'mcp.md'), 'utf8');
/** The Swagger UI page's own files, served with it (docs/api.md: "the Swagger UI page and its files"). */
const SWAGGER_FILES = /^\/api\/docs\/(?:\*|LICENSE|index\.html|swagger-ui-init\.js|docs\/.*)?$/;

/** A path with its parameters made alike: `:hash`, `<path>` and `{path}` are one parameter. */
const shape = (path: string) => path.replace(/:\w+|<[^>]+>|\{[^}]+\}/g, ':p');

const ADMIN_KEY = 'bootstrap-key-0123456789abcdef';

/** The `METHOD /path` routes of the first column of docs/api.md's route table, with their answer column. */
function tableRoutes(): { method: string; path: string; answer: string }[] {
  return API_DOC.split('\n')
    .filter((line) => /^\| `(GET|POST|PUT|DELETE|PATCH) \//.test(line))
    .flatMap((line) => {
      // `\|` inside a cell (`state: waiting\|active`) is a pipe of the text, not a column's end.
      const [, routes, , answer] = line.split(/(?<!\\)\|/);
      return [...routes.matchAll(/`(GET|POST|PUT|DELETE|PATCH) (\/[^`\s]*)`/g)].map(([, method, path]) => ({
        method,
        path,
        answer: answer.trim(),
      }));
    });
}

/** The fields of the object an answer column opens with: `{a, b[{…}], c{…}, d: x\|y}` → a, b, c, d. */
function answerFields(answer: string): string[] {
  const fields: string[] = [];
  let field = '';
  let depth = 0;
  for (const char of answer.slice('`{'.length)) {
    if (depth === 0 && (char === ',' || char === '}')) {
      fields.push(/^\s*(\w+)/.exec(field)?.[1] ?? field);
      field = '';
      if (char === '}') break;
      continue;
    }
    if ('{[('.includes(char)) depth++;
    if ('}])'.includes(char)) depth--;
    field += char;
  }
  return fields;
}

describe('docs/api.md and the routes the api serves', () => {
  let api: TestApp;
  let served: { method: string; path: string }[];

  before(async () => {
    api = await startOAuthTestApp(ADMIN_KEY);
    served = routesOf(api.app)
      .filter((route) => route.method !== 'HEAD' && route.method !== 'OPTIONS')
      .map(({ method, url }) => ({ method, path: url }));
  });
  after(() => api.close());

  it('lists in its route table only routes the api serves, with their method', () => {
    const serves = ({ method, path }: { method: string; path: string }) =>
      served.some(
        (route) =>
          route.method === method &&
          (shape(route.path) === shape(path) ||
            // The agent's files are one wildcard route: `<path>`, `<path>/history`, `.filters` are its paths.
            (route.path.endsWith('/*') && path.startsWith(route.path.slice(0, -1)))),
      );
    const table = tableRoutes();
    assert.ok(table.length > 80, `${table.length} routes in the table`);
    assert.deepEqual(
      table.filter((route) => !serves(route)).map(({ method, path }) => `${method} ${path}`),
      [],
    );
  });

  it('lists every field of the object each GET route of its table answers with, and no other', async () => {
    // Routes with no parameter to fill in, whose answer column opens with the object's fields.
    const rows = tableRoutes().filter(
      ({ method, path, answer }) => method === 'GET' && !/[:<*]/.test(path) && answer.startsWith('`{'),
    );
    assert.ok(rows.length >= 20, `${rows.length} answers to check`);
    const wrong: string[] = [];
    for (const { path, answer } of rows) {
      const response = await api.request('GET', path, { headers: { authorization: `Bearer ${ADMIN_KEY}` } });
      assert.equal(response.status, 200, `GET ${path}: ${response.text}`);
      const told = answerFields(answer).sort();
      const answered = Object.keys(response.body).sort();
      if (told.join() !== answered.join())
        wrong.push(`GET ${path}: told {${told.join(', ')}}, answered {${answered.join(', ')}}`);
    }
    assert.deepEqual(wrong, []);
  });

  it('names every route the api serves', () => {
    const named = [...API_DOC.matchAll(/`(?:[A-Z]+ )?(…)?(\/[^`\s]*)`/g), ...MCP_DOC.matchAll(/`()(\/mcp)`/g)].map(
      ([, ellipsis, path]) => ({ path: shape(path.replace(/\?.*$/, '')), tail: !!ellipsis }),
    );
    // An alias may be given by its tail (`…/mcp`, `/recommendations/:time_horizon`): it names the route it ends.
    const names = (path: string) =>
      named.some(
        (doc) => path === doc.path || ((doc.tail || doc.path.split('/').length > 2) && path.endsWith(doc.path)),
      );
    const unnamed = served
      .filter(({ path }) => !SWAGGER_FILES.test(path))
      .map(({ path }) => shape(path).replace(/\*$/, ':p'))
      .filter((path) => !names(path));
    assert.deepEqual([...new Set(unnamed)], [], 'routes docs/api.md does not name');
  });
});
