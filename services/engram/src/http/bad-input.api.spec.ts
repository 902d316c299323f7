import assert from 'node:assert/strict';
import { maxHeaderSize } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { rawAnswer, rawExchange } from '../testing/raw-request';
import { startTestApp, TestApp } from '../testing/test-app';
import { routesOf } from './create-app';

/** Every client mistake gets a 4xx JSON `{error, message}`: never a 5xx, never a crash, never a stored row. */
describe('bad input of every kind', () => {
  let api: TestApp;
  before(async () => {
    api = await startTestApp({
      ENGRAM_MAX_CONTENT_BYTES: '1000',
      ENGRAM_MAX_BODY_BYTES: '65536',
      ENGRAM_MAX_METADATA_BYTES: '200',
    });
  });
  after(async () => {
    await api.close();
  });

  const expectError = async (
    status: number,
    method: string,
    path: string,
    options: Parameters<TestApp['request']>[2],
    messagePattern?: RegExp,
  ) => {
    const response = await api.request(method, path, options);
    assert.equal(response.status, status, `${method} ${path}: ${response.text}`);
    assert.equal(typeof response.body.error, 'string', response.text);
    assert.equal(typeof response.body.message, 'string', response.text);
    if (messagePattern) assert.match(response.body.message, messagePattern);
    return response;
  };

  it('rejects missing and wrongly typed fields with 400 naming the field', async () => {
    await expectError(400, 'POST', '/api/memories', { body: {} }, /content/);
    await expectError(400, 'POST', '/api/memories', { body: { content: 42 } }, /content/);
    await expectError(400, 'POST', '/api/memories', { body: { content: '   ' } }, /content must not be empty/);
    await expectError(400, 'POST', '/api/memories', { body: { content: 'x', tags: [1, 2] } }, /tags/);
    await expectError(400, 'POST', '/api/memories', { body: { content: 'x', tags: [''] } }, /tags/);
    await expectError(400, 'POST', '/api/memories', { body: { content: 'x', metadata: 'nope' } }, /metadata/);
    await expectError(400, 'POST', '/api/memories', { body: { content: 'x', metadata: [1] } }, /metadata/);
    await expectError(
      400,
      'POST',
      '/api/memories',
      { body: { content: 'x', memory_type: 'not a type!' } },
      /memory_type/,
    );
    await expectError(
      400,
      'POST',
      '/api/memories',
      { body: { content: 'x', created_at: 'yesterday-ish' } },
      /created_at/,
    );
    await expectError(400, 'POST', '/api/memories', { body: [] });
    await expectError(400, 'POST', '/api/memories', { body: 'just a string' });
    await expectError(400, 'POST', '/api/search', { body: { query: 'x', limit: '10' } }, /limit/);
    await expectError(400, 'POST', '/api/search', { body: { query: 'x', mode: 'fuzzy' } }, /mode/);
    await expectError(400, 'POST', '/api/search', { body: {} }, /query/);
  });

  it('names the problem of the form a field that takes two forms was given in', async () => {
    const store = (fields: Record<string, unknown>) => ({ body: { content: 'x', ...fields } });
    await expectError(400, 'POST', '/api/memories', store({ created_at: -5 }), /created_at: .*>=0/);
    await expectError(400, 'POST', '/api/memories', store({ created_at: 1e20 }), /created_at: .*past the valid date/);
    await expectError(400, 'POST', '/api/memories', store({ created_at: 'soon' }), /created_at: expected an ISO 8601/);
    await expectError(400, 'POST', '/api/memories', store({ created_at: true }), /expected number or string/);
    await expectError(400, 'POST', '/api/memories', store({ tags: [1, 2] }), /tags: 0: .*expected string/);
    // A day the calendar lacks is refused, not rolled over into the next month.
    await expectError(400, 'POST', '/api/memories', store({ created_at: '2020-02-30' }), /a day the calendar has/);
    await expectError(400, 'GET', '/api/memories?after=2023-02-29', {}, /after/);
    await expectError(400, 'GET', '/api/admin/audit?since=2024-04-31T10:00:00Z', {}, /since/);
    assert.equal((await api.request('GET', '/api/memories?after=2024-02-29')).status, 200);
  });

  it('rejects unknown fields instead of ignoring a typo', async () => {
    const response = await expectError(400, 'POST', '/api/memories', { body: { content: 'x', tgas: ['a'] } }, /tgas/);
    assert.ok(Array.isArray(response.body.details.issues));
    await expectError(400, 'POST', '/api/search', { body: { query: 'x', n_result: 3 } }, /n_result/);
    await expectError(400, 'GET', '/api/memories?pagesize=3', {}, /pagesize/);
  });

  it('reads query integers as digits only on every route: 1e1 and 0x10 are refused, not coerced', async () => {
    for (const path of [
      '/api/jobs?limit=1e1',
      '/api/jobs?limit=0x10',
      '/api/admin/audit?limit=1e1',
      '/api/admin/audit?cursor=-1',
      '/api/agent/files/user.md/history?limit=0x10',
    ]) {
      await expectError(400, 'GET', path, {}, /expected an integer/);
    }
    await expectError(400, 'GET', '/api/agent/files/user.md/history?colour=red', {}, /unknown field\(s\) colour/);
    assert.equal((await api.request('GET', '/api/jobs?limit=10')).status, 200);
  });

  it('rejects limits out of range: negative, zero, above 100, fractional', async () => {
    for (const limit of [-1, 0, 101, 2.5]) {
      await expectError(400, 'POST', '/api/search', { body: { query: 'x', limit } }, /limit/);
    }
  });

  it('answers 400 for malformed JSON, an empty JSON body and invalid UTF-8', async () => {
    await expectError(400, 'POST', '/api/memories', { rawBody: '{"content": "x",' }, /not valid JSON/);
    await expectError(400, 'POST', '/api/memories', { rawBody: '' }, /empty/);
    const invalidUtf8 = Buffer.concat([
      Buffer.from('{"content":"'),
      Buffer.from([0xc3, 0x28, 0xff]),
      Buffer.from('"}'),
    ]);
    await expectError(400, 'POST', '/api/memories', { rawBody: invalidUtf8 }, /UTF-8/);
    assert.equal((await api.request('GET', '/api/memories')).body.total, 0);
  });

  it('refuses __proto__ and constructor.prototype keys in a JSON body on every route that takes one', async () => {
    const routes = routesOf(api.app).filter((route) => ['POST', 'PUT', 'PATCH'].includes(route.method));
    assert.ok(routes.length >= 10, `only ${routes.length} routes take a body`);
    const hostile = [
      { body: '{"content": "x", "__proto__": {"polluted": "yes"}}', key: /__proto__/ },
      { body: '{"content": "x", "metadata": {"a": [{"__proto__": {"polluted": "yes"}}]}}', key: /__proto__/ },
      { body: '{"content": "x", "\\u005f_proto__": {"polluted": "yes"}}', key: /__proto__/ },
      { body: '{"content": "x", "constructor": {"prototype": {"polluted": "yes"}}}', key: /constructor\.prototype/ },
      { body: '{"query": "x", "filters": {"constructor": {"prototype": {"polluted": "yes"}}}}', key: /constructor/ },
    ];
    for (const route of routes) {
      const path = route.url.replace(/:\w+/g, 'a'.repeat(64)).replace(/\*$/, 'x');
      for (const { body, key } of hostile) {
        const response = await api.request(route.method, path, { rawBody: body });
        assert.equal(response.status, 400, `${route.method} ${route.url}: ${response.status} ${response.text}`);
        // /mcp answers as JSON-RPC: the message is the error's.
        assert.match(response.body.message ?? response.body.error.message, key, `${route.method} ${route.url}`);
      }
    }
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    assert.equal(Object.prototype.hasOwnProperty.call(Object.prototype, 'polluted'), false);
    assert.equal((await api.request('GET', '/api/memories')).body.total, 0);
  });

  it('refuses nesting past 64 levels and lone surrogates in a body, and NUL in content, storing nothing', async () => {
    const deep = (depth: number) => `{"content":"deep","metadata":{"a":${'['.repeat(depth)}1${']'.repeat(depth)}}}`;
    await expectError(400, 'POST', '/api/memories', { rawBody: deep(20_000) }, /nested more than 64 deep/);
    await expectError(400, 'PUT', `/api/memories/${'a'.repeat(64)}`, { rawBody: deep(100) }, /nested more than 64/);
    await expectError(400, 'POST', '/api/memories', { rawBody: '{"content":"\\ud800"}' }, /lone UTF-16 surrogate/);
    await expectError(
      400,
      'POST',
      '/api/memories',
      { rawBody: '{"content":"x","metadata":{"\\udc00":1}}' },
      /surrogate/,
    );
    await expectError(400, 'POST', '/api/memories', { body: { content: 'a\u0000b' } }, /NUL character/);
    const batch = { memories: [{ content: 'fine' }, { content: 'nul\u0000 inside' }] };
    await expectError(400, 'POST', '/api/memories/batch', { body: batch }, /memories\.1/);
    assert.equal((await api.request('GET', '/api/memories')).body.total, 0);
    // A properly paired surrogate (an emoji spelled as escapes) is ordinary text.
    const emoji = await api.request('POST', '/api/memories', {
      rawBody: '{"content":"ok \\ud83d\\ude00","metadata":{"d":[[[1]]]}}',
    });
    assert.equal(emoji.status, 201, emoji.text);
    assert.equal(emoji.body.memory.content, 'ok 😀');
    assert.equal((await api.request('DELETE', `/api/memories/${emoji.body.memory.content_hash}`)).status, 200);
  });

  it('refuses a NUL character in a body, a query string or a path, naming where it is, on every backend', async () => {
    // PostgreSQL text cannot hold a NUL: these reached it as a tag, a key name or a lookup and were 500s there.
    const nul = /holds a NUL character/;
    await expectError(
      400,
      'POST',
      '/api/memories',
      { body: { content: 'x', tags: ['a\u0000b'] } },
      /tags\.0 holds a NUL/,
    );
    await expectError(400, 'POST', '/api/memories', { body: { content: 'x', tags: 'ok,a\u0000b' } }, /tags holds/);
    await expectError(
      400,
      'POST',
      '/api/memories',
      { body: { content: 'x', metadata: { k: ['\u0000'] } } },
      /metadata\.k\.0/,
    );
    await expectError(
      400,
      'POST',
      '/api/memories',
      { body: { content: 'x', metadata: { 'k\u0000': 1 } } },
      /a key of metadata/,
    );
    const session = { turns: [{ role: 'user', content: 'hi' }], session_id: 's\u0000' };
    await expectError(400, 'POST', '/api/sessions', { body: session }, /session_id holds a NUL/);
    await expectError(400, 'POST', '/api/admin/keys', { body: { name: 'a\u0000', scopes: ['read'] } }, /name holds/);
    await expectError(400, 'PUT', '/api/agent/files/notes.md', { body: { content: 'a\u0000b' } }, /content holds/);
    await expectError(400, 'GET', '/api/memories?tag=a%00b', {}, /Query parameter tag holds a NUL/);
    await expectError(400, 'GET', '/api/memories?tags=ok&tags=%00', {}, /Query parameter tags holds a NUL/);
    await expectError(400, 'GET', '/api/admin/audit?principal=%00', {}, /Query parameter principal holds a NUL/);
    await expectError(400, 'GET', `/api/memories/${'a'.repeat(63)}%00`, {}, /Path parameter hash holds a NUL/);
    await expectError(400, 'GET', '/api/memories?%00=1', {}, nul);
    assert.equal((await api.request('GET', '/api/memories')).body.total, 0);
    assert.equal((await api.request('GET', '/api/admin/keys')).body.keys.length, 0);
  });

  it('names at most 20 problems of a body, however many items are wrong', async () => {
    const memories = Array.from({ length: 3_000 }, () => ({ content: 1 }));
    const response = await expectError(
      400,
      'POST',
      '/api/memories/batch',
      { body: { memories } },
      /memories\.0\.content/,
    );
    assert.equal(response.body.details.issues.length, 21);
    assert.deepEqual(response.body.details.issues.at(-1), { path: '', message: 'and 2980 more problem(s)' });
    assert.ok(response.text.length < 5_000, `${response.text.length} characters`);
  });

  it('keeps the memory_file type for the memory directory: a client cannot store or update into it', async () => {
    const reserved = /memory_file is reserved/;
    await expectError(400, 'POST', '/api/memories', { body: { content: 'x', memory_type: 'Memory_File' } }, reserved);
    const batch = { memories: [{ content: 'x', memory_type: 'memory_file' }] };
    await expectError(400, 'POST', '/api/memories/batch', { body: batch }, reserved);
    await expectError(
      400,
      'PUT',
      `/api/memories/${'a'.repeat(64)}`,
      { body: { memory_type: 'memory_file' } },
      reserved,
    );
    assert.equal((await api.request('GET', '/api/memories')).body.total, 0);
    const listed = await api.request('GET', '/api/memories?memory_type=memory_file');
    assert.equal(listed.status, 200, 'reading by the type stays allowed');
  });

  it('takes X-Agent-ID as one id: a comma or an over-long id is refused, naming the header', async () => {
    for (const [agent, problem] of [
      ['claude,pinned,important', /X-Agent-ID is one id/],
      [' , ', /X-Agent-ID is one id/],
      ['a'.repeat(95), /X-Agent-ID has at most 94 characters/],
    ] as const) {
      await expectError(
        400,
        'POST',
        '/api/memories',
        { body: { content: 'x' }, headers: { 'x-agent-id': agent } },
        problem,
      );
    }
    assert.equal((await api.request('GET', '/api/memories')).body.total, 0);
  });

  it('refuses a body of JSON null, also where the body may be left out', async () => {
    await expectError(400, 'POST', '/api/consolidation/cleanup', { rawBody: 'null' }, /received null/);
    await expectError(400, 'POST', '/api/memories', { rawBody: 'null' }, /received null/);
  });

  it('refuses query parameters on a route that reads none, instead of serving as if they were taken', async () => {
    const stored = await api.request('POST', '/api/memories', { body: { content: 'a note about the query guard' } });
    assert.equal(stored.status, 201, stored.text);
    const hash = stored.body.content_hash as string;
    await expectError(
      400,
      'POST',
      '/api/search?limit=2',
      { body: { query: 'query guard' } },
      /^POST \/api\/search takes no query parameters \(its options go in the request body\), but got limit; send none$/,
    );
    await expectError(
      400,
      'GET',
      '/api/tags?limit=5',
      {},
      /^GET \/api\/tags takes no query parameters, but got limit; send none$/,
    );
    await expectError(
      400,
      'GET',
      `/api/memories/${hash}?a=1&b&c=3&d=4&e=5&f=6`,
      {},
      /but got a, b, c, d, e and 1 more;/,
    );
    // Nothing was done: the refused store left no memory behind.
    await expectError(400, 'POST', '/api/memories?hard=true', { body: { content: 'refused for its query' } });
    assert.equal((await api.request('GET', '/api/memories?page_size=100')).body.total, 1);
    // A bare "?" carries no parameter, and a route that reads its query string still names unknown ones.
    assert.equal((await api.request('GET', '/api/tags?')).status, 200);
    await expectError(400, 'GET', '/api/memories?limit=5', {}, /unknown field\(s\) limit/);
    assert.equal((await api.request('DELETE', `/api/memories/${hash}?hard=true`)).status, 200);
  });

  it('answers 415 for bodies that are not JSON', async () => {
    await expectError(415, 'POST', '/api/memories', {
      rawBody: 'content=x',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    await expectError(415, 'POST', '/api/memories', { rawBody: 'hello', headers: { 'content-type': 'text/plain' } });
  });

  it('answers 413 for content, metadata or a whole body over the limits', async () => {
    await expectError(413, 'POST', '/api/memories', { body: { content: 'é'.repeat(501) } }, /ENGRAM_MAX_CONTENT_BYTES/);
    await expectError(
      413,
      'POST',
      '/api/memories',
      { body: { content: 'x', metadata: { blob: 'y'.repeat(300) } } },
      /ENGRAM_MAX_METADATA_BYTES/,
    );
    await expectError(413, 'POST', '/api/memories', { body: { content: 'z'.repeat(70_000) } }, /ENGRAM_MAX_BODY_BYTES/);
    const batch = { memories: [{ content: 'fine' }, { content: 'w'.repeat(1001) }] };
    await expectError(413, 'POST', '/api/memories/batch', { body: batch }, /memories\.1/);
    assert.equal((await api.request('GET', '/api/memories')).body.total, 0, 'a refused batch stores nothing');
  });

  it('answers 400 for an empty batch and 413 for too many items', async () => {
    await expectError(400, 'POST', '/api/memories/batch', { body: { memories: [] } });
    const small = await startTestApp({ ENGRAM_MAX_BATCH_ITEMS: '2' });
    try {
      const response = await small.request('POST', '/api/memories/batch', {
        body: { memories: [{ content: 'a' }, { content: 'b' }, { content: 'c' }] },
      });
      assert.equal(response.status, 413);
      assert.match(response.body.message, /ENGRAM_MAX_BATCH_ITEMS/);
    } finally {
      await small.close();
    }
  });

  it('answers a URL the router cannot read in the same error shape: a bad % escape, an over-long segment', async () => {
    await expectError(400, 'GET', '/api/memories/%FF', {}, /URL path is not valid/);
    await expectError(414, 'GET', `/api/memories/${'a'.repeat(300)}`, {}, /longer than 256 characters/);
    const job = await api.request('GET', `/api/jobs/${'j'.repeat(200)}`);
    assert.notEqual(job.status, 414, 'a 200-character job id reaches its route');
  });

  it('answers a request Node cannot parse (headers over its limit, a malformed request line or header) in the same JSON shape, closing the connection', async () => {
    const cases: [request: string, status: number, error: string, message: RegExp][] = [
      [
        `GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ${'a'.repeat(64 * 1024)}\r\n\r\n`,
        431,
        'header_too_large',
        new RegExp(`request line and headers are larger than ${maxHeaderSize} bytes`),
      ],
      ['GARBAGE\r\n\r\n', 400, 'bad_request', /not valid HTTP \(Invalid method encountered\)/],
      ['CONNECT 127.0.0.1:22 HTTP/1.1\r\nHost: 127.0.0.1:22\r\n\r\n', 405, 'method_not_allowed', /not a proxy/],
      [
        'GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Bad: a\u0001b\r\n\r\n',
        400,
        'bad_request',
        /not valid HTTP \(Invalid header value char\)/,
      ],
    ];
    for (const [request, status, error, message] of cases) {
      const answer = rawAnswer(await rawExchange(api.url, request));
      assert.equal(answer.status, status, request.slice(0, 40));
      assert.match(answer.header('content-type') ?? '', /^application\/json/);
      assert.equal(answer.body.error, error);
      assert.match(answer.body.message, message);
      assert.equal(answer.header('connection'), 'close');
    }
    assert.equal((await api.request('GET', '/api/health')).status, 200, 'the api still serves');
  });

  it('never writes an error into a response already under way on the connection: it closes the connection instead', async () => {
    let sent = false;
    const received = await rawExchange(
      api.url,
      'GET /api/events/stream HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n',
      (soFar) => {
        // Once the event stream has begun, a malformed request pipelined behind it.
        if (sent || !soFar.includes('engram event stream')) return undefined;
        sent = true;
        return 'GARBAGE\r\n\r\n';
      },
    );
    assert.ok(sent, received);
    assert.match(received, /^HTTP\/1\.1 200 OK\r\n[^]*text\/event-stream/);
    assert.equal(received.split('HTTP/1.1 ').length, 2, `one response only: ${JSON.stringify(received)}`);
  });

  it('answers 404 JSON for unknown routes and 400 for an update with nothing to change', async () => {
    await expectError(404, 'GET', '/api/nothing-here', {});
    const stored = await api.request('POST', '/api/memories', { body: { content: 'to update' } });
    await expectError(400, 'PUT', `/api/memories/${stored.body.content_hash}`, { body: {} }, /at least one/);
  });
});
