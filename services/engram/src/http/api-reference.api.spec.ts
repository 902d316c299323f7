import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startOAuthTestApp } from '../testing/oauth-flow';
import { API_DOC, requestFields, tableRoutes } from '../testing/api-doc-table';
import { TestApp } from '../testing/test-app';
import { routesOf } from './create-app';

/** `/mcp` is documented with its transport in docs/mcp.md. */
const MCP_DOC = readFileSync(join(__dirname, '..', '..', '..', '..', 'docs', 'mcp.md'), 'utf8');
/** The Swagger UI page's own files, served with it (docs/api.md: "the Swagger UI page and its files"). */
const SWAGGER_FILES = /^\/api\/docs\/(?:\*|LICENSE|index\.html|swagger-ui-init\.js|docs\/.*)?$/;

/** A path with its parameters made alike: `:hash`, `<path>` and `{path}` are one parameter. */
const shape = (path: string) => path.replace(/:\w+|<[^>]+>|\{[^}]+\}/g, ':p');

const ADMIN_KEY = 'bootstrap-key-0123456789abcdef';

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

  it('names in each route\'s "Body / query" column exactly the fields the schema of its route validates', async () => {
    const openApi = (await api.request('GET', '/api/docs-json', { headers: { authorization: `Bearer ${ADMIN_KEY}` } }))
      .body as OpenApiDocument;
    // Rows of one operation share its schema: the agent's files, `<path>`, `<path>/history` and the rest.
    const told = new Map<string, Set<string>>();
    const table = tableRoutes();
    for (const route of table) {
      const operation = operationOf(openApi, route);
      if (!operation) continue; // OAuth, /metrics and the dashboard's files are not in the document
      const name = `${route.method} ${operation.path}`;
      told.set(name, new Set([...(told.get(name) ?? []), ...requestFields(route, table)]));
    }
    assert.ok(told.size >= 60, `${told.size} operations checked`);
    const wrong: string[] = [];
    for (const [name, fields] of told) {
      const validated = validatedFields(openApi, name);
      wrong.push(
        ...[...validated]
          .filter((field) => !fields.has(field))
          .map((field) => `${name}: ${field} validated, not named`),
        ...[...fields]
          .filter((field) => !validated.has(field))
          .map((field) => `${name}: ${field} named, not validated`),
      );
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

interface OpenApiSchema {
  $ref?: string;
  properties?: Record<string, unknown>;
}
interface OpenApiOperation {
  parameters?: { name: string; in: string }[];
  requestBody?: { content: Record<string, { schema: OpenApiSchema }> };
}
interface OpenApiDocument {
  paths: Record<string, Record<string, OpenApiOperation>>;
  components: { schemas: Record<string, OpenApiSchema> };
}

/** The document's operation for a table route: `:hash` is `{hash}`, the agent's `<path>…` one `{path}`. */
function operationOf(openApi: OpenApiDocument, { method, path }: { method: string; path: string }) {
  for (const candidate of [path.replace(/:(\w+)/g, '{$1}'), path.replace(/<.*$/, '{path}')])
    if (openApi.paths[candidate]?.[method.toLowerCase()]) return { path: candidate };
  return undefined;
}

/** The query parameters and body fields (any content type) the operation `METHOD /path` declares. */
function validatedFields(openApi: OpenApiDocument, name: string): Set<string> {
  const [method, path] = name.split(' ');
  const operation = openApi.paths[path][method.toLowerCase()];
  const query = (operation.parameters ?? []).filter((parameter) => parameter.in === 'query');
  const bodies = Object.values(operation.requestBody?.content ?? {}).map(({ schema }) =>
    schema.$ref ? openApi.components.schemas[schema.$ref.split('/').pop()!] : schema,
  );
  return new Set([...query.map(({ name }) => name), ...bodies.flatMap((body) => Object.keys(body.properties ?? {}))]);
}
