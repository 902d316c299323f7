import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { e2eStorages, E2eStorage } from './e2e-storage';
import { serviceHelper } from './engram-cli';
import {
  BASIC_CREDENTIALS,
  bodyWith,
  CONTENT_TYPES,
  CORE_FIELD_VALUES,
  FIELD_VALUES,
  FieldValue,
  JsonSchema,
  LARGE_STRING_BODY,
  malformedJsonRpc,
  PATH_SEGMENTS,
  QUERY_VALUES,
  queryShapes,
  RAW_BODIES,
  REFUSED_BODIES,
  sample,
  seededRandom,
  validValue,
} from './fuzz-inputs';
import { mcpClients } from './mcp-fixture';
import { freePort, RunningApi, startApi, tempDir } from './process-harness';

/**
 * An input audit of the whole api process: every route docs/api.md lists (the table api-reference.api.spec
 * holds to the router) and every other operation of the OpenAPI document the api serves, every tool
 * tools/list gives, and malformed JSON-RPC in both MCP eras, sent malformed input of every kind. Each
 * answer must be below 500 and, when a refusal, JSON naming the problem (an MCP refusal: isError or a
 * JSON-RPC error other than Internal error); no request may go unanswered. Cases are drawn from fixed
 * catalogues (fuzz-inputs.ts) with a fixed seed: every run sends the same requests.
 */
const SEED = 20261206;
const API_KEY = 'fuzz-admin-key-0123456789abcdef';
/** A request unanswered this long is a hang: the slowest case (an 8 MiB body) answers in well under a second. */
const HANG_MS = 30_000;
/** Cases drawn per field, argument, parameter or route on top of the fixed ones (CORE_FIELD_VALUES). */
const SAMPLED = { field: 2, argument: 2, rawArgument: 1, body: 6, contentType: 2, segment: 6, query: 3, shape: 1 };

const { startMemAgentTestDouble, answer } = serviceHelper('testing/mem-agent.test-double.js');
const { startOpenAiEmbeddingsTestDouble } = serviceHelper('testing/openai-embeddings.test-double.js');
const { tableRoutes } = serviceHelper('testing/api-doc-table.js');
const { rawRequest } = serviceHelper('testing/raw-request.js');

interface Route {
  method: string;
  path: string;
  /** Fields the table's second column names, for routes the OpenAPI document leaves out (OAuth). */
  documentedFields: string[];
}

/** The `METHOD /path` routes of docs/api.md's route table, and /mcp (docs/mcp.md). */
function documentedRoutes(): Route[] {
  const routes = (tableRoutes() as { method: string; path: string; request: string }[]).map(
    ({ method, path, request }) => ({
      method,
      path,
      documentedFields: [...new Set([...request.matchAll(/`([a-z][a-z_]*)(?:=[^`]*)?`/g)].map(([, name]) => name))],
    }),
  );
  return [...routes, MCP_ROUTE];
}

const MCP_ROUTE: Route = { method: 'POST', path: '/mcp', documentedFields: [] };

interface Answer {
  status: number;
  type: string;
  text: string;
}

interface Target {
  api: RunningApi;
  stop(): Promise<void>;
}

/**
 * The api on a fresh store of `storage`, with OAuth on and registration open, a chat model double, and an
 * embeddings double (the local model would spend the suite's time embedding the valid cases' texts).
 */
async function startTarget(storage: E2eStorage): Promise<Target> {
  const dir = tempDir();
  const harvest = (messages: { content: string }[]) => messages[0]?.content.includes('worth remembering');
  const model = await startMemAgentTestDouble([
    {
      question: '',
      turns: [(messages: { content: string }[]) => (harvest(messages) ? '[]' : answer('Ok.', 'Noted.'))],
    },
  ]);
  const embeddings = await startOpenAiEmbeddingsTestDouble({ dimension: 16, model: 'fuzz-model' });
  const port = await freePort();
  const api = await startApi(
    {
      ...(await storage.start(dir)),
      MCP_HTTP_PORT: String(port),
      MCP_API_KEY: API_KEY,
      MEMORY_DIR: join(dir, 'memory'),
      ENGRAM_AGENT_BASE_URL: model.url,
      ENGRAM_EMBEDDING_PROVIDER: 'openai',
      MCP_EXTERNAL_EMBEDDING_URL: embeddings.url,
      MCP_EXTERNAL_EMBEDDING_MODEL: embeddings.model,
      ENGRAM_OAUTH_ENABLED: 'true',
      ENGRAM_OAUTH_OPEN_REGISTRATION: 'true',
      ENGRAM_PUBLIC_URL: `http://127.0.0.1:${port}`,
      // Each request comes from its own address (X-Forwarded-For), so no per-address budget answers 429
      // before the input is read.
      ENGRAM_TRUSTED_PROXIES: '127.0.0.1/32',
    },
    dir,
  );
  return {
    api,
    async stop() {
      await api.stop();
      await model.close();
      await embeddings.close();
      await storage.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Texts stored so far, by every fuzzer (of both suites of a backend). */
let texts = 0;

class Fuzzer {
  readonly problems: string[] = [];
  sent = 0;
  private readonly random = seededRandom(SEED);

  constructor(private readonly url: string) {}

  /** A text no earlier request used (a store is then never refused as a duplicate first). */
  unique = () => `fuzz text ${++texts}`;

  pick<T>(list: readonly T[], count: number): T[] {
    return sample(list, count, this.random);
  }

  async send(
    method: string,
    path: string,
    body?: string | Buffer,
    type?: string,
    extra: Record<string, string> = {},
  ): Promise<Answer> {
    const headers: Record<string, string> = { ...this.nextHeaders(), ...extra };
    if (type !== undefined && body !== undefined) headers['content-type'] = type;
    const abort = new AbortController();
    const hang = setTimeout(() => abort.abort(), HANG_MS);
    try {
      const response = await fetch(`${this.url}${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : new Uint8Array(Buffer.from(body)),
        signal: abort.signal,
        redirect: 'manual',
      });
      const contentType = response.headers.get('content-type') ?? '';
      // An event stream that opened is a valid request's answer; it never ends by itself.
      if (contentType.includes('text/event-stream') && path !== '/mcp') {
        abort.abort();
        return { status: response.status, type: contentType, text: '' };
      }
      return { status: response.status, type: contentType, text: await response.text() };
    } catch (error) {
      return { status: 0, type: '', text: abort.signal.aborted ? `no answer in ${HANG_MS} ms` : String(error) };
    } finally {
      clearTimeout(hang);
    }
  }

  /** A GET carrying a JSON body, which fetch refuses to send: it goes by node:http. */
  async sendGetWithBody(path: string, body: string): Promise<Answer> {
    const headers = {
      ...this.nextHeaders(),
      'content-type': 'application/json',
      'content-length': String(Buffer.byteLength(body)),
    };
    const abort = new AbortController();
    const hang = setTimeout(() => abort.abort(), HANG_MS);
    try {
      const answer = await rawRequest(this.url, 'GET', path, { headers, body, signal: abort.signal });
      return { status: answer.status, type: String(answer.headers['content-type'] ?? ''), text: answer.text };
    } catch (error) {
      return { status: 0, type: '', text: abort.signal.aborted ? `no answer in ${HANG_MS} ms` : String(error) };
    } finally {
      clearTimeout(hang);
    }
  }

  /** The headers of the next request: the key, and an address of its own (no per-address budget runs out). */
  private nextHeaders(): Record<string, string> {
    this.sent += 1;
    return {
      'x-api-key': API_KEY,
      'x-forwarded-for': `10.${(this.sent >> 16) & 255}.${(this.sent >> 8) & 255}.${this.sent & 255}`,
      accept: 'application/json, text/event-stream',
    };
  }

  /** Sends one case and records what is wrong with its answer, if anything. */
  async check(
    route: Route,
    label: string,
    path: string,
    body?: string | Buffer,
    type?: string,
    extra: Record<string, string> = {},
  ): Promise<Answer> {
    const answer = await this.send(route.method, path, body, type, extra);
    const problem = answerProblem(route, answer);
    if (problem) this.problems.push(`${route.method} ${route.path} ${label}: ${problem}`);
    return answer;
  }
}

/** What is wrong with an answer: a 5xx, no answer, or a refusal without a JSON message. */
function answerProblem(route: Route, answer: Answer): string | undefined {
  const said = answer.text.slice(0, 200);
  if (answer.status === 0 || answer.status >= 500) return `${answer.status} ${said}`;
  if (answer.status < 400) return route.path === '/mcp' ? mcpProblem(answer) : undefined;
  // The authorization endpoint answers a browser: its errors are a page (docs/api.md).
  if (route.path === '/oauth/authorize' && answer.type.includes('text/html')) return undefined;
  const body = parseJson(answer.text) as { message?: unknown; error_description?: unknown; error?: any } | undefined;
  const message = body?.message ?? body?.error_description ?? body?.error?.message;
  return typeof message === 'string' && message.length > 0 ? undefined : `${answer.status} without a message: ${said}`;
}

/** A JSON-RPC answer of /mcp: an error other than Internal error, or a result that is not a server failure. */
function mcpProblem(answer: Answer): string | undefined {
  const data = answer.type.includes('text/event-stream') ? /^data: (.*)$/m.exec(answer.text)?.[1] : answer.text;
  const rpc = parseJson(data ?? '') as { error?: { code?: number }; result?: { content?: { text?: string }[] } };
  if (rpc?.error) return rpc.error.code === -32603 ? `internal error: ${data?.slice(0, 200)}` : undefined;
  return /failed on the server/.test(rpc?.result?.content?.[0]?.text ?? '') ? `${data?.slice(0, 200)}` : undefined;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

interface OpenApiOperation {
  parameters?: { in: string; name: string }[];
  requestBody?: { content?: Record<string, { schema?: JsonSchema }> };
}

/** The route's path in the OpenAPI document: `:hash` is `{hash}`, an agent file path `{path}`. */
function openApiPath(route: Route): string {
  return route.path.replace(/:(\w+)/g, '{$1}').replace(/<path>.*/, '{path}');
}

function operationOf(document: any, route: Route): OpenApiOperation | undefined {
  return document.paths[openApiPath(route)]?.[route.method.toLowerCase()];
}

const HTTP_METHODS = new Set(['get', 'post', 'put', 'delete']);

/**
 * The routes of docs/api.md's table, then every operation of the served OpenAPI document the table's
 * first column leaves out (aliases it names only in prose): nothing the api documents goes unfuzzed.
 */
function routesToFuzz(document: any): Route[] {
  const routes = documentedRoutes();
  const listed = new Set(routes.map((route) => `${route.method} ${openApiPath(route)}`));
  const unlisted = Object.entries<Record<string, unknown>>(document.paths).flatMap(([path, operations]) =>
    Object.keys(operations)
      .filter((method) => HTTP_METHODS.has(method) && !listed.has(`${method.toUpperCase()} ${path}`))
      .map((method) => ({
        method: method.toUpperCase(),
        path: path.replace(/\{(\w+)\}/g, ':$1'),
        documentedFields: [],
      })),
  );
  return [...routes, ...unlisted];
}

/** The memory the routes act on, stored again whenever a case changes or deletes it. */
interface Ids {
  hash: string;
}

/** `path` with its parameters given: the memory, the memory file notes/fuzz.md, unknown ids; or `segment`. */
function fill(path: string, ids: Ids, segment?: string): string {
  return path
    .replace(/:hash/g, segment ?? ids.hash)
    .replace(/:time_horizon/g, segment ?? 'weekly')
    .replace(/:\w+/g, segment ?? 'fuzz-id')
    .replace(/<path>/, segment ?? 'notes/fuzz.md')
    .replace(/<version>/, segment ?? '1');
}

async function storeAnchor(fuzzer: Fuzzer): Promise<string> {
  const stored = await fuzzer.send(
    'POST',
    '/api/memories',
    JSON.stringify({ content: fuzzer.unique() }),
    'application/json',
  );
  assert.equal(stored.status, 201, stored.text);
  return JSON.parse(stored.text).content_hash;
}

async function fuzzRoute(fuzzer: Fuzzer, route: Route, operation: OpenApiOperation | undefined, ids: Ids) {
  const json = operation?.requestBody?.content?.['application/json']?.schema;
  const form = route.path.startsWith('/oauth/') && route.method === 'POST' && route.path !== '/oauth/register';
  const path = () => fill(route.path, ids);
  const send = async (label: string, body?: string | Buffer, type = 'application/json', at = path()) => {
    const answer = await fuzzer.check(route, label, at, body, type);
    // A change of a memory (new content, a hard delete) leaves the next case a fresh one to act on.
    if (answer.status < 300 && route.method !== 'GET' && route.path.includes(':hash')) {
      ids.hash = await storeAnchor(fuzzer);
    }
  };
  if (route.method === 'GET') {
    // Filters sent as a body, which a GET never reads: refused, not answered as if none had been sent.
    const answer = await fuzzer.sendGetWithBody(path(), '{"namespace":"fuzz","tags":["fuzz"]}');
    const refused = answer.status === 400 && answerProblem(route, answer) === undefined;
    if (!refused) fuzzer.problems.push(`GET ${route.path} with a body: ${answer.status} ${answer.text.slice(0, 200)}`);
  } else {
    const takesBody = json !== undefined || form || route.path === '/mcp' || route.path === '/oauth/register';
    const bodies = takesBody ? fuzzer.pick(RAW_BODIES, SAMPLED.body) : REFUSED_BODIES;
    for (const body of bodies) await send(`body ${String(body).slice(0, 24)}`, body);
    // A body no schema reads is read by hand: spread field by field, 8 MiB would take minutes (a hang).
    if (takesBody && !json) await send('body: an 8 MiB JSON string', LARGE_STRING_BODY);
    for (const type of fuzzer.pick(CONTENT_TYPES, SAMPLED.contentType)) {
      await send(`content-type ${type}`, 'a=1&b=2', type);
    }
  }
  // The OAuth routes' fields are the ones docs/api.md names: given wrong JSON types, and sent as a form.
  const named = !json && route.method !== 'GET' && route.documentedFields.length > 0;
  const fields = json ?? (named ? stringFields(route.documentedFields) : undefined);
  if (fields?.properties) await fuzzBodyFields(fuzzer, fields, ids, send);
  for (const authorization of form ? BASIC_CREDENTIALS : []) {
    const body = 'grant_type=refresh_token&refresh_token=x&token=x';
    const label = `authorization ${authorization.slice(0, 24)}`;
    await fuzzer.check(route, label, path(), body, 'application/x-www-form-urlencoded', { authorization });
  }
  for (const field of form ? route.documentedFields : []) {
    for (const value of fuzzer.pick(QUERY_VALUES, SAMPLED.query)) {
      await send(`form ${field}=${value.slice(0, 24)}`, `${field}=${value}`, 'application/x-www-form-urlencoded');
    }
  }
  if (/:\w+|<path>/.test(route.path)) {
    const body = json ? JSON.stringify(validValue(json, ids.hash, fuzzer.unique)) : undefined;
    for (const segment of fuzzer.pick(PATH_SEGMENTS, SAMPLED.segment))
      await send(`path ${segment.slice(0, 24)}`, body, 'application/json', fill(route.path, ids, segment));
  }
  const documentedQuery = json || form || route.method !== 'GET' ? [] : route.documentedFields;
  const queryNames = operation
    ? (operation.parameters?.filter((p) => p.in === 'query').map((p) => p.name) ?? [])
    : documentedQuery;
  const body = json ? JSON.stringify(validValue(json, ids.hash, fuzzer.unique)) : undefined;
  for (const name of [...queryNames, 'zz_unknown']) {
    const queries = [
      ...fuzzer.pick(QUERY_VALUES, SAMPLED.query).map((value) => `${name}=${value}`),
      ...fuzzer.pick(queryShapes(name), SAMPLED.shape),
    ];
    for (const query of queries) {
      const at = path();
      await send(
        `query ${query.slice(0, 32)}`,
        body,
        'application/json',
        `${at}${at.includes('?') ? '&' : '?'}${query}`,
      );
    }
  }
}

async function fuzzBodyFields(
  fuzzer: Fuzzer,
  schema: JsonSchema,
  ids: Ids,
  send: (label: string, body?: string) => Promise<void>,
) {
  const valid = () => validValue(schema, ids.hash, fuzzer.unique) as Record<string, unknown>;
  await send('valid body', JSON.stringify(valid()));
  await send('unknown field', JSON.stringify({ ...valid(), zz_unknown: 1 }));
  for (const field of schema.required ?? []) {
    const { [field]: _left, ...rest } = valid();
    await send(`without ${field}`, JSON.stringify(rest));
  }
  for (const field of Object.keys(schema.properties ?? {})) {
    for (const value of [...CORE_FIELD_VALUES, ...fuzzer.pick(FIELD_VALUES, SAMPLED.field)]) {
      await send(`${field}=${describeValue(value)}`, bodyWith(valid(), field, value));
    }
  }
}

/** A schema of string fields, for a route whose fields only docs/api.md names. */
function stringFields(names: string[]): JsonSchema {
  return { type: 'object', properties: Object.fromEntries(names.map((name) => [name, { type: 'string' }])) };
}

/** The values JSON.stringify can write (the SDK client sends arguments with it). */
function jsonValues(values: readonly FieldValue[]): { json: unknown }[] {
  return values.filter((value): value is { json: unknown } => 'json' in value);
}

function describeValue(value: FieldValue): string {
  if ('raw' in value) return `raw ${value.raw.slice(0, 24)}`;
  const json = value.json;
  if (typeof json === 'string' && json.length > 100) return `${json.length}-character string`;
  if (Array.isArray(json) && JSON.stringify(json).length > 100) return `array of ${json.length}`;
  return JSON.stringify(json);
}

/** Every tool of tools/list over Streamable HTTP with the SDK client: each argument given each bad value. */
async function fuzzTools(fuzzer: Fuzzer, url: string, hash: string): Promise<number> {
  const { client } = await mcpClients.connectHttpClient(url, API_KEY, 'sdk-v1');
  try {
    const { tools } = await client.listTools();
    for (const tool of tools) {
      const schema = tool.inputSchema as JsonSchema;
      const valid = () => validValue(schema, hash, fuzzer.unique) as Record<string, unknown>;
      const call = async (label: string, args: Record<string, unknown>) => {
        fuzzer.sent += 1;
        const problem = await toolCallProblem(client, tool.name, args);
        if (problem) fuzzer.problems.push(`MCP ${tool.name} ${label}: ${problem}`);
      };
      await call('valid', valid());
      await call('unknown argument', { ...valid(), zz_unknown: 1 });
      for (const field of schema.required ?? []) {
        const { [field]: _left, ...rest } = valid();
        await call(`without ${field}`, rest);
      }
      for (const field of Object.keys(schema.properties ?? {})) {
        const sampled = fuzzer.pick(jsonValues(FIELD_VALUES), SAMPLED.argument);
        for (const value of [...jsonValues(CORE_FIELD_VALUES), ...sampled]) {
          await call(`${field}=${describeValue(value)}`, { ...valid(), [field]: value.json });
        }
        // Values JSON.stringify cannot write (NaN, 1e309, 10,000 levels): as raw JSON-RPC bodies.
        const raw = FIELD_VALUES.filter((value) => 'raw' in value);
        for (const value of fuzzer.pick(raw, SAMPLED.rawArgument)) {
          const args = bodyWith(valid(), field, value);
          const body = `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"${tool.name}","arguments":${args}}}`;
          await fuzzer.check(
            MCP_ROUTE,
            `${tool.name} ${field}=${describeValue(value)}`,
            '/mcp',
            body,
            'application/json',
          );
        }
      }
    }
    return tools.length;
  } finally {
    await client.close();
  }
}

/** An MCP refusal is isError naming the problem, or a JSON-RPC error; a server failure or a throw is not. */
async function toolCallProblem(client: any, name: string, args: Record<string, unknown>): Promise<string | undefined> {
  try {
    const result = await client.callTool({ name, arguments: args }, undefined, { timeout: HANG_MS });
    const text = result.content?.[0]?.text ?? '';
    if (result.isError && (!text || /failed on the server/.test(text))) return `isError: ${text.slice(0, 200)}`;
    return undefined;
  } catch (error: any) {
    // Invalid params, or a body the server refused as a whole (a NUL, nesting) as Invalid Request.
    if (error.code === -32602 || /"code":-32600/.test(error.message)) return undefined;
    return `threw ${error.code ?? ''} ${String(error.message).slice(0, 200)}`;
  }
}

// The backends' api processes are fuzzed at once: the suite spends most of its time waiting on them.
const EVERY_BACKEND_AT_ONCE = { concurrency: 2 };

describe(
  'malformed input to every REST route, MCP tool and JSON-RPC message: a 4xx naming the problem, never a 500 or a hang',
  EVERY_BACKEND_AT_ONCE,
  () => {
    for (const storage of e2eStorages()) {
      describe(storage.name, { concurrency: 1 }, () => {
        let target: Target;
        before(async () => {
          target = await startTarget(storage);
        });
        after(() => target.stop());

        it('answers every route of docs/api.md and the OpenAPI document below 500, with a JSON message for each refusal', async () => {
          const fuzzer = new Fuzzer(target.api.url);
          const document = JSON.parse((await fuzzer.send('GET', '/api/docs-json')).text);
          const ids = { hash: await storeAnchor(fuzzer) };
          const file = await fuzzer.send(
            'PUT',
            '/api/agent/files/notes/fuzz.md',
            '{"content":"fuzz"}',
            'application/json',
          );
          assert.equal(file.status, 200, file.text);
          const routes = routesToFuzz(document);
          assert.ok(routes.length > 80, `${routes.length} routes`);
          for (const route of routes) await fuzzRoute(fuzzer, route, operationOf(document, route), ids);
          assert.ok(fuzzer.sent > 1500, `${fuzzer.sent} requests`);
          assert.deepEqual(fuzzer.problems.slice(0, 30), [], `${fuzzer.problems.length} of ${fuzzer.sent} answers`);
        });

        it('answers every MCP tool with isError or a JSON-RPC error, never a server failure', async () => {
          const fuzzer = new Fuzzer(target.api.url);
          const tools = await fuzzTools(fuzzer, target.api.url, await storeAnchor(fuzzer));
          assert.ok(tools >= 25, `${tools} tools`);
          assert.deepEqual(fuzzer.problems.slice(0, 30), [], `${fuzzer.problems.length} of ${fuzzer.sent} answers`);
        });

        it('answers malformed JSON-RPC at /mcp with a JSON-RPC error other than Internal error', async () => {
          const fuzzer = new Fuzzer(target.api.url);
          for (const rpc of malformedJsonRpc((list, count) => fuzzer.pick(list, count))) {
            await fuzzer.check(MCP_ROUTE, rpc.label, '/mcp', rpc.body, 'application/json', rpc.headers);
          }
          assert.ok(fuzzer.sent > 150, `${fuzzer.sent} requests`);
          assert.deepEqual(fuzzer.problems.slice(0, 30), [], `${fuzzer.problems.length} of ${fuzzer.sent} answers`);
        });

        it('is still up afterwards, and logged no unhandled error', async () => {
          const health = await new Fuzzer(target.api.url).send('GET', '/api/health');
          assert.equal(health.status, 200);
          assert.equal(target.api.child.exitCode, null);
          assert.doesNotMatch(target.api.output(), /unhandled error|MCP tool failed|uncaught/i);
        });
      });
    }
  },
);
