/**
 * The malformed inputs of the input fuzz (input-fuzz.e2e-spec.ts): fixed catalogues, sampled with a
 * seeded generator so every run sends the same requests, and valid values built from a JSON schema so a
 * field's bad value reaches past the fields around it.
 */

/** mulberry32: a small seeded generator; the same seed gives the same cases on every run. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `count` entries of `list` in a seeded order (all of it when count is larger). */
export function sample<T>(list: readonly T[], count: number, random: () => number): T[] {
  const shuffled = [...list];
  for (let i = shuffled.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [shuffled[i], shuffled[j]] = [shuffled[j], shuffled[i]];
  }
  return shuffled.slice(0, count);
}

const MIB = 1024 * 1024;
export const HUGE_STRING = 'm'.repeat(MIB);

/** `[[[…1…]]]` nested `depth` deep, as JSON text (JSON.stringify itself overflows far below 10,000). */
export const deepArrayText = (depth: number) => `${'['.repeat(depth)}1${']'.repeat(depth)}`;
export const deepObjectText = (depth: number) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;

/** A field value: JSON to encode, or `raw` text spliced into the body as is (NaN, 1e309, \ud800…). */
export type FieldValue = { json: unknown } | { raw: string };

/** Every field gets these: a value of the wrong type, and a 1 MiB string. */
export const CORE_FIELD_VALUES: readonly FieldValue[] = [{ json: { a: { b: [] } } }, { json: HUGE_STRING }];

/** Values of the wrong type, the wrong size or the wrong shape for any field, of which each field gets a few. */
export const FIELD_VALUES: readonly FieldValue[] = [
  ...[42, -1, 0, 1.5, true, false, null, '', ' ', 'fuzz', [], {}, [null], [1, 'a']].map((json) => ({
    json,
  })),
  { json: 'a\u0000b' },
  { json: ['a\u0000b'] },
  { json: { 'k\u0000': 'v' } },
  { json: '\u202e\u0001\n\t' },
  { json: '😀'.repeat(1000) },
  { json: '../../../etc/passwd' },
  { json: [HUGE_STRING] },
  { json: Array.from({ length: 10_000 }, (_, i) => `t${i}`) },
  { raw: deepArrayText(60) },
  { raw: deepArrayText(10_000) },
  { raw: deepObjectText(10_000) },
  ...['NaN', 'Infinity', '-Infinity', '1e309', '-1e309', '9007199254740993', '-0', '1e-400'].map((raw) => ({ raw })),
  ...['"\\ud800"', '"x\\udfff"', '"a\\u0000b"', '"\\u0000"'].map((raw) => ({ raw })),
];

/** Whole bodies: not JSON, empty, the wrong JSON type, nested 10,000 deep, not UTF-8. */
export const RAW_BODIES: readonly (string | Buffer)[] = [
  '',
  ' ',
  '{',
  '{"a":1,}',
  "{'a':1}",
  'null',
  'true',
  '42',
  '"text"',
  '[]',
  '[{}]',
  'NaN',
  '{"a":1e309}',
  '\ufeff{}',
  deepArrayText(10_000),
  deepObjectText(10_000),
  JSON.stringify(HUGE_STRING),
  Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d]),
  Buffer.from('{"a":"\xed\xa0\x80"}', 'latin1'),
];

/**
 * An 8 MiB JSON string: for routes that read their body by hand (no schema), where a body spread field by
 * field would take minutes and show as a hang.
 */
export const LARGE_STRING_BODY = JSON.stringify('m'.repeat(8 * MIB));

/** Basic credentials a client could send the OAuth endpoints: a NUL in each half, not base64, oversized. */
export const BASIC_CREDENTIALS: readonly string[] = [
  `Basic ${Buffer.from('%00:%00').toString('base64')}`,
  'Basic !!!',
  `Basic ${Buffer.from(`${'a'.repeat(4000)}:x`).toString('base64')}`,
  'Basic',
];

/** Bodies every parser refuses before a handler runs: sent to routes that take no body (nothing is queued). */
export const REFUSED_BODIES: readonly (string | Buffer)[] = ['{', deepArrayText(10_000), RAW_BODIES.at(-2)!];

export const CONTENT_TYPES: readonly (string | undefined)[] = [
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=fuzz',
  'multipart/form-data',
  'application/xml',
  'application/json; charset=latin1',
  'application/json-patch+json',
  undefined,
];

/** Path segments: not an id, too long, encoded NUL, invalid UTF-8, a lone surrogate, unicode, traversal. */
export const PATH_SEGMENTS: readonly string[] = [
  'x',
  '-1',
  '1e309',
  'NaN',
  '9007199254740993',
  'null',
  'A'.repeat(64),
  'a'.repeat(256),
  'a'.repeat(300),
  '%00',
  '%FF',
  '%ED%A0%80',
  '%F0%9F%98%80',
  '%E2%80%AE',
  '%20',
  '..%2F..%2Fetc%2Fpasswd',
];

/** Values of one query parameter (already URL-encoded). */
export const QUERY_VALUES: readonly string[] = [
  '',
  '-1',
  '0',
  'NaN',
  '1e309',
  '9007199254740993',
  'true',
  'x'.repeat(8000),
  '%00',
  '%FF',
  '%ED%A0%80',
  '%F0%9F%98%80',
  'a,b,,c',
];

/** Ways to spell one query parameter `name` wrongly: repeated, as an array or object, bare. */
export const queryShapes = (name: string): string[] => [
  `${name}=1&${name}=2`,
  `${name}[]=1`,
  `${name}[a]=1`,
  name,
  `${name}=1&${name}`,
  `__proto__=1&${name}=1`,
  `${name}[__proto__]=1`,
];

export interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  enum?: unknown[];
  const?: unknown;
  pattern?: string;
  minimum?: number;
  minItems?: number;
}

/**
 * A valid value for `schema` (required properties only): the first choice of a union or enum, the
 * minimum of a number, `hash` for a content hash, and a text no earlier call made, so a store is never
 * refused as a duplicate before the field under test is read.
 */
export function validValue(schema: JsonSchema | undefined, hash: string, unique: () => string): unknown {
  if (!schema) return unique();
  const choice = schema.anyOf?.[0] ?? schema.oneOf?.[0];
  if (choice) return validValue(choice, hash, unique);
  if (schema.enum) return schema.enum[0];
  if (schema.const !== undefined) return schema.const;
  switch ([schema.type].flat()[0]) {
    case 'string':
      if (schema.pattern === '^[0-9a-f]{64}$') return hash;
      return schema.pattern ? 'fuzz-1' : unique();
    case 'integer':
    case 'number':
      return schema.minimum ?? 1;
    case 'boolean':
      return false;
    case 'array':
      return Array.from({ length: schema.minItems ?? 1 }, () => validValue(schema.items, hash, unique));
    case 'object':
      return Object.fromEntries(
        (schema.required ?? []).map((key) => [key, validValue(schema.properties?.[key], hash, unique)]),
      );
    default:
      return unique();
  }
}

/** `base` as JSON text with `field` set to `value` (raw values spliced in after encoding). */
export function bodyWith(base: object, field: string, value: FieldValue): string {
  if ('json' in value) return JSON.stringify({ ...base, [field]: value.json });
  const placeholder = '\u0001raw\u0001';
  return JSON.stringify({ ...base, [field]: placeholder }).replace(JSON.stringify(placeholder), () => value.raw);
}

/** The MCP revision whose requests carry their version, client and capabilities in `_meta`. */
const MODERN_REVISION = '2026-07-28';
const MODERN_META = {
  'io.modelcontextprotocol/protocolVersion': MODERN_REVISION,
  'io.modelcontextprotocol/clientInfo': { name: 'fuzz', version: '1.0.0' },
  'io.modelcontextprotocol/clientCapabilities': {},
};

/** One malformed JSON-RPC exchange posted to /mcp: its body and the headers beside it. */
export interface RpcCase {
  label: string;
  body: string;
  headers: Record<string, string>;
}

/** Methods a client may name: the ones Engram serves, ones it does not, and none at all. */
const RPC_METHODS = [
  'initialize',
  'ping',
  'tools/list',
  'tools/call',
  'resources/list',
  'resources/templates/list',
  'resources/read',
  'server/discover',
  'subscriptions/listen',
  'logging/setLevel',
  'completion/complete',
  'prompts/get',
  'zz/unknown',
];

/** Params of the wrong type or shape for those methods (never a valid subscription: it would stay open). */
const RPC_PARAMS: readonly unknown[] = [
  null,
  [],
  'x',
  1,
  { cursor: 1 },
  { uri: 1 },
  { uri: 'memory://zz' },
  { name: 1, arguments: [] },
  { name: 'memory_stats', arguments: null },
  { protocolVersion: 1, capabilities: 'x', clientInfo: null },
  { level: 'zz' },
  { ref: 1, argument: 'x' },
  { notifications: 1 },
  { _meta: null },
  { _meta: { progressToken: {} } },
];

/** Bad params values each method gets, on top of none at all (`{}`). */
const SAMPLED_PARAMS = 4;

/** Envelopes JSON-RPC does not allow, or allows only barely: ids, versions, methods of the wrong type. */
const RPC_ENVELOPES: readonly Record<string, unknown>[] = [
  ...[null, {}, [], true, 1.5, -1, 2 ** 53, '', 'x'.repeat(10_000)].map((id) => ({ id })),
  ...[undefined, '1.0', 2, null].map((jsonrpc) => ({ jsonrpc })),
  ...[1, null, {}, '', 'x'.repeat(10_000)].map((method) => ({ method })),
];

/**
 * Malformed JSON-RPC for /mcp, in each protocol era (a 2026-07-28 request names its revision in `_meta`
 * and its method in the Mcp-Method header): every method given no params and a few bad values `pick`
 * draws, envelopes of the
 * wrong shape, responses and notifications posted as requests, batches empty, oversized or mixed, and
 * revision headers that disagree with the body.
 */
export function malformedJsonRpc(pick: <T>(list: readonly T[], count: number) => T[]): RpcCase[] {
  const cases: RpcCase[] = [];
  for (const era of ['2025', MODERN_REVISION]) {
    const modern = era === MODERN_REVISION;
    const headers = (method: unknown): Record<string, string> =>
      modern ? { 'mcp-protocol-version': MODERN_REVISION, 'mcp-method': String(method) } : {};
    const request = (method: unknown, params?: unknown, id: unknown = 1) => {
      const withMeta = modern && (params === undefined || isPlainObject(params));
      const sent = withMeta ? { ...(params as object), _meta: MODERN_META } : params;
      return { jsonrpc: '2.0', id, method, ...(sent !== undefined && { params: sent }) };
    };
    const add = (label: string, body: unknown, method: unknown) =>
      cases.push({ label: `${era} ${label}`, body: JSON.stringify(body), headers: headers(method) });
    for (const method of RPC_METHODS) {
      for (const params of [{}, ...pick(RPC_PARAMS, SAMPLED_PARAMS)]) {
        add(`${method} params ${describeJson(params)}`, request(method, params), method);
      }
    }
    for (const envelope of RPC_ENVELOPES) {
      add(`envelope ${describeJson(envelope)}`, { ...request('tools/list'), ...envelope }, 'tools/list');
    }
    add('a result posted', { jsonrpc: '2.0', id: 1, result: {} }, 'tools/list');
    add('an error posted', { jsonrpc: '2.0', id: 1, error: { code: 'x' } }, 'tools/list');
    add('an unknown notification', { jsonrpc: '2.0', method: 'zz/unknown' }, 'zz/unknown');
    add(
      'a cancellation naming nothing',
      { jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: {} } },
      'x',
    );
    add('a 1 MiB cursor', request('tools/list', { cursor: HUGE_STRING }), 'tools/list');
    add('an empty batch', [], 'ping');
    add('a batch of junk', [1, 'a', null], 'ping');
    add('a nested batch', [[request('ping')]], 'ping');
    add(
      'a batch of 101',
      Array.from({ length: 101 }, (_, i) => request('ping', undefined, i)),
      'ping',
    );
    add('a batch with bad params', [request('ping'), request('resources/read', { uri: 1 }, 2)], 'ping');
    add('a batch repeating an id', [request('ping'), request('tools/list')], 'ping');
  }
  const listTools = { jsonrpc: '2.0', id: 1, method: 'tools/list', params: { _meta: MODERN_META } };
  for (const version of ['', 'x', `${MODERN_REVISION},2025-06-18`, '2025-06-18', 'x'.repeat(8000)]) {
    cases.push({
      label: `Mcp-Protocol-Version ${version.slice(0, 24)}`,
      body: JSON.stringify(listTools),
      headers: { 'mcp-protocol-version': version, 'mcp-method': 'tools/list' },
    });
  }
  for (const value of [null, 1, 'x', '1999-01-01']) {
    const meta = { ...MODERN_META, 'io.modelcontextprotocol/protocolVersion': value };
    cases.push({
      label: `_meta protocol version ${JSON.stringify(value)}`,
      body: JSON.stringify({ ...listTools, params: { _meta: meta } }),
      headers: { 'mcp-protocol-version': MODERN_REVISION, 'mcp-method': 'tools/list' },
    });
  }
  return [...cases, ...eraMixes(listTools)];
}

/** Requests of one protocol era carrying a header or field of the other. */
function eraMixes(listTools: object): RpcCase[] {
  const modern = { 'mcp-protocol-version': MODERN_REVISION, 'mcp-method': 'tools/list' };
  const legacyList = { jsonrpc: '2.0', id: 1, method: 'tools/list' };
  const initialize = { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'fuzz', version: '1' } };
  const staleSession = { 'mcp-session-id': 'from-a-stateful-server' };
  const mixes: [string, unknown, Record<string, string>][] = [
    [
      'a 2025 initialize with 2026-07-28 headers',
      { jsonrpc: '2.0', id: 1, method: 'initialize', params: initialize },
      { ...modern, 'mcp-method': 'initialize' },
    ],
    [
      'an initialize in a 2026-07-28 envelope',
      { ...listTools, method: 'initialize', params: { ...initialize, _meta: MODERN_META } },
      { ...modern, 'mcp-method': 'initialize' },
    ],
    ['a 2025 batch with 2026-07-28 headers', [legacyList, { ...legacyList, id: 2 }], modern],
    ['a mixed-era batch', [legacyList, { ...listTools, id: 2 }], {}],
    ['a 2026-07-28 request with a 2025 header', listTools, { ...modern, 'mcp-protocol-version': '2025-11-25' }],
    ['a 2025 request with a session id', legacyList, staleSession],
    ['a 2026-07-28 request with a session id', listTools, { ...modern, ...staleSession }],
    [
      'a 2025 progress request with 2026-07-28 headers',
      { ...legacyList, params: { _meta: { progressToken: 1 } } },
      modern,
    ],
  ];
  return mixes.map(([label, body, headers]) => ({ label: `era mix: ${label}`, body: JSON.stringify(body), headers }));
}

function isPlainObject(value: unknown): boolean {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describeJson(value: unknown): string {
  return (JSON.stringify(value) ?? 'undefined').slice(0, 40);
}
