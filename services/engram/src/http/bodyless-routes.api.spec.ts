import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { routesOf } from './create-app';
import { waitForJob } from '../testing/job-helpers';
import { startOAuthTestApp } from '../testing/oauth-flow';
import { rawRequest } from '../testing/raw-request';
import { RequestOptions, TestApp } from '../testing/test-app';

const ADMIN_KEY = 'bodyless-admin-key-0123456789abcdef';

/** What a client may send, believing it an option, to a route that reads none: each is refused. */
const REFUSED_BODIES: unknown[] = [{ namespace: 'work' }, { hard: true }, { '': 1 }, [], null, 'yes', 0, false];

/** What carries nothing, and many clients send on every POST: each is served as if no body came. */
const NOTHING_SENT: { label: string; options: RequestOptions }[] = [
  { label: 'no body', options: {} },
  { label: 'an empty body with the JSON content type', options: { rawBody: '' } },
  { label: '{}', options: { body: {} } },
];

interface Target {
  path: string;
  /** What the route changes, read before and after a request; the same twice when it changes nothing. */
  state(): Promise<unknown>;
}

interface BodylessRoute {
  /** How the OpenAPI document names it (`{hash}`), so the list is checked against the server's routes. */
  route: string;
  /** Something for one request to act on. */
  prepare(): Promise<Target>;
  /** What the route answers when served; `changes`: its state then differs (else nothing could change). */
  served: { status: number; changes: boolean };
}

describe('routes that read no body refuse one instead of ignoring it', () => {
  let api: TestApp;
  const admin = { authorization: `Bearer ${ADMIN_KEY}` };
  const send = (method: string, path: string, options: RequestOptions = {}) =>
    api.request(method, path, { ...options, headers: { ...admin, ...options.headers } });
  const get = async (path: string) => {
    const response = await send('GET', path);
    return { status: response.status, body: response.body };
  };

  let stored = 0;
  const storeMemory = async () => {
    const response = await send('POST', '/api/memories', { body: { content: `bodyless route note ${++stored}` } });
    assert.equal(response.status, 201, response.text);
    return response.body.content_hash as string;
  };
  const trashedMemory = async () => {
    const hash = await storeMemory();
    assert.equal((await send('DELETE', `/api/memories/${hash}`)).status, 200);
    return hash;
  };
  /** The ids of the recent jobs, once none is still running (a job joined or queued shows as a new id). */
  const settledJobs = async () => {
    const { jobs } = (await get('/api/jobs?limit=100')).body as { jobs: { id: string; state: string }[] };
    const running = jobs.filter((job) => !['completed', 'failed', 'cancelled'].includes(job.state));
    for (const job of running) await waitForJob(send, job.id);
    return (await get('/api/jobs?limit=100')).body.jobs.map((job: { id: string }) => job.id);
  };
  const endedJob = async () => {
    const backup = await send('POST', '/api/backup/now');
    assert.equal(backup.status, 200, backup.text);
    return backup.body.job_id as string;
  };
  const jobRoute = (route: string, status: number): BodylessRoute => ({
    route,
    prepare: async () => ({ path: route.split(' ')[1], state: settledJobs }),
    served: { status, changes: true },
  });

  const ROUTES: BodylessRoute[] = [
    {
      route: 'POST /api/memories/{hash}/restore',
      prepare: async () => {
        const hash = await trashedMemory();
        return { path: `/api/memories/${hash}/restore`, state: () => get(`/api/memories/${hash}`) };
      },
      served: { status: 200, changes: true },
    },
    {
      route: 'DELETE /api/memories/{hash}',
      prepare: async () => {
        const hash = await storeMemory();
        return { path: `/api/memories/${hash}`, state: () => get(`/api/memories/${hash}`) };
      },
      served: { status: 200, changes: true },
    },
    {
      route: 'DELETE /api/memories/trash/{hash}',
      prepare: async () => {
        const hash = await trashedMemory();
        return { path: `/api/memories/trash/${hash}`, state: () => get(`/api/memories/trash/${hash}`) };
      },
      served: { status: 200, changes: true },
    },
    {
      route: 'DELETE /api/admin/keys/{id}',
      prepare: async () => {
        const created = await send('POST', '/api/admin/keys', { body: { name: 'victim', scopes: ['read'] } });
        const id = created.body.id as string;
        const revokedAt = async () =>
          (await get('/api/admin/keys')).body.keys.find((key: { id: string }) => key.id === id).revoked_at;
        return { path: `/api/admin/keys/${id}`, state: revokedAt };
      },
      served: { status: 200, changes: true },
    },
    {
      // A client without tokens: revoking them changes nothing to see, so the answer shows it was served.
      route: 'DELETE /api/admin/oauth/clients/{id}',
      prepare: async () => {
        const registered = await api.request('POST', '/oauth/register', {
          body: { client_name: 'victim', redirect_uris: ['http://127.0.0.1:9/cb'] },
        });
        assert.equal(registered.status, 201, registered.text);
        const path = `/api/admin/oauth/clients/${registered.body.client_id}`;
        return { path, state: async () => (await get('/api/admin/oauth/clients')).body };
      },
      served: { status: 200, changes: false },
    },
    {
      route: 'DELETE /api/admin/backups/{name}',
      prepare: async () => {
        const id = (await send('POST', '/api/backup/now')).body.backup_id as string;
        const listed = async () =>
          (await get('/api/admin/backups')).body.backups.some(
            (backup: { backup_id: string }) => backup.backup_id === id,
          );
        assert.equal(await listed(), true, 'the backup to delete is listed');
        return { path: `/api/admin/backups/${id}`, state: listed };
      },
      served: { status: 200, changes: true },
    },
    {
      // Jobs run inline here and end at once: cancelling an ended one answers 409 not_cancellable.
      route: 'DELETE /api/jobs/{id}',
      prepare: async () => {
        const id = await endedJob();
        return { path: `/api/jobs/${id}`, state: () => get(`/api/jobs/${id}`) };
      },
      served: { status: 409, changes: false },
    },
    {
      route: 'DELETE /api/import/{id}',
      prepare: async () => {
        const form = new FormData();
        form.append('source', 'markdown');
        form.append('file', new Blob(['# Imported\n\nA note to import.']), 'note.md');
        const started = await fetch(`${api.url}/api/import`, { method: 'POST', headers: admin, body: form });
        assert.equal(started.status, 202);
        const id = ((await started.json()) as { job_id: string }).job_id;
        await waitForJob(send, id);
        return { path: `/api/import/${id}`, state: () => get(`/api/import/${id}`) };
      },
      served: { status: 409, changes: false },
    },
    jobRoute('POST /api/admin/backup', 202),
    jobRoute('POST /api/backup/now', 200),
    jobRoute('POST /api/admin/reindex', 202),
    jobRoute('POST /api/conflicts/scan', 202),
  ];

  before(async () => {
    api = await startOAuthTestApp(ADMIN_KEY, { ENGRAM_OAUTH_OPEN_REGISTRATION: 'true' });
  });
  after(() => api.close());

  it('lists every route without a request body in the OpenAPI document (so a new one gets a case here)', async () => {
    const document = (await get('/api/docs-json')).body as {
      paths: Record<string, Record<string, { requestBody?: unknown; responses: Record<string, unknown> }>>;
    };
    const bodyless = Object.entries(document.paths).flatMap(([path, operations]) =>
      Object.entries(operations)
        .filter(([method, operation]) => method !== 'get' && operation.requestBody === undefined)
        .map(([method, operation]) => ({ route: `${method.toUpperCase()} ${path}`, operation })),
    );
    assert.deepEqual(bodyless.map(({ route }) => route).sort(), ROUTES.map(({ route }) => route).sort());
    for (const { route, operation } of bodyless) assert.ok(operation.responses['400'], `${route} documents its 400`);
  });

  for (const { route, prepare, served } of ROUTES) {
    const method = route.split(' ')[0];

    it(`${route}: a body is 400 naming the route, and changes nothing`, async () => {
      const target = await prepare();
      const before = await target.state();
      for (const body of REFUSED_BODIES) {
        const refused = await send(method, target.path, { rawBody: JSON.stringify(body) });
        const sent = JSON.stringify(body);
        assert.equal(refused.status, 400, `${sent}: ${refused.text}`);
        assert.equal(refused.body.error, 'validation_error', sent);
        assert.match(refused.body.message, /takes no request body/, sent);
        assert.ok(refused.body.message.startsWith(`${method} /api/`), refused.body.message);
      }
      assert.deepEqual(await target.state(), before);
    });

    it(`${route}: served with no body, an empty one or {}`, async () => {
      for (const { label, options } of NOTHING_SENT) {
        const target = await prepare();
        const before = await target.state();
        const answer = await send(method, target.path, options);
        assert.equal(answer.status, served.status, `${label}: ${answer.text}`);
        if (served.changes) assert.notDeepEqual(await target.state(), before, label);
      }
    });
  }

  it('names the fields it refused, and where the options of a route with a query go', async () => {
    const hash = await storeMemory();
    const refused = await send('DELETE', `/api/memories/${hash}`, { body: { hard: true, namespace: 'work' } });
    assert.equal(
      refused.body.message,
      'DELETE /api/memories/:hash takes no request body (its options go in the query string), but got field(s) hard, namespace; send no body or {}',
    );
    const restore = await send('POST', `/api/memories/${await trashedMemory()}/restore`, { body: ['x'] });
    assert.equal(
      restore.body.message,
      'POST /api/memories/:hash/restore takes no request body, but got an array; send no body or {}',
    );
    assert.equal((await send('DELETE', `/api/memories/${hash}?hard=true`)).status, 200);
    assert.equal((await get(`/api/memories/trash/${hash}`)).status, 404, 'the query option was honoured');
  });

  /** A GET or HEAD as a client that puts its options in a body sends it (fetch cannot: it refuses). */
  const withBody = (method: string, path: string, body: string, headers: Record<string, string> = {}) =>
    rawRequest(api.url, method, path, {
      headers: { ...admin, 'content-type': 'application/json', ...headers },
      body,
    });
  const sized = (body: string) => ({ 'content-length': String(Buffer.byteLength(body)) });

  it('GET /api/memories with its filters as a body is 400, not the unfiltered list', async () => {
    await send('POST', '/api/memories', {
      body: { content: 'a note tagged for the GET body case', tags: ['get-body'] },
    });
    await storeMemory();
    const filters = JSON.stringify({ namespace: 'elsewhere', tags: ['get-body'] });
    const message = 'GET /api/memories takes no request body: put its parameters in the query string and send no body';
    for (const headers of [sized(filters), { 'transfer-encoding': 'chunked' }]) {
      const refused = await withBody('GET', '/api/memories', filters, headers);
      assert.equal(refused.status, 400, refused.text);
      assert.deepEqual(refused.body, { error: 'validation_error', message });
    }
    const head = await withBody('HEAD', '/api/memories', filters, sized(filters));
    assert.equal(head.status, 400);
    const filtered = await get('/api/memories?tags=get-body');
    assert.deepEqual(
      filtered.body.memories.map((memory: { tags: string[] }) => memory.tags),
      [['get-body']],
      'the same filters in the query string',
    );
  });

  it('every GET and HEAD route refuses a body, whatever it serves (/mcp as a JSON-RPC error)', async () => {
    const routes = routesOf(api.app).filter((route) => route.method === 'GET' || route.method === 'HEAD');
    assert.ok(routes.length > 80, `${routes.length} routes`);
    const body = '{"namespace":"work"}';
    for (const { method, url } of routes) {
      const path = url.replace(/:\w+/g, 'x').replace(/\*$/, 'notes/x.md');
      const refused = await withBody(method, path, body, sized(body));
      assert.equal(refused.status, 400, `${method} ${url}: ${refused.text}`);
      if (method === 'HEAD') continue;
      const message = url === '/mcp' ? refused.body.error?.message : refused.body.message;
      assert.match(message, /takes no request body/, `${method} ${url}: ${refused.text}`);
    }
  });

  it('serves a GET or HEAD with no body, Content-Length: 0, a Content-Type alone or an empty chunked body', async () => {
    const bodiless: Record<string, string>[] = [
      {},
      { 'content-length': '0' },
      { 'content-type': 'application/json' },
      { 'content-type': 'application/json', 'transfer-encoding': 'chunked' },
    ];
    const served: [string, string, number][] = [
      ['GET', '/api/memories', 200],
      ['HEAD', '/api/memories', 200],
      ['GET', '/.well-known/oauth-authorization-server', 200],
      // Stateless MCP: no stream to open on GET (the SDK clients expect the 405 and go on).
      ['GET', '/mcp', 405],
    ];
    for (const headers of bodiless) {
      for (const [method, path, status] of served) {
        const answer = await rawRequest(api.url, method, path, {
          headers: { ...admin, accept: 'application/json, text/event-stream', ...headers },
        });
        assert.equal(answer.status, status, `${method} ${path} with ${JSON.stringify(headers)}: ${answer.text}`);
      }
    }
  });

  it('answers an OPTIONS that is not a CORS preflight as a method no route serves: 404 in JSON, its body checked', async () => {
    const origin = `http://localhost:${api.config.http.port}`;
    const notPreflights: Record<string, string>[] = [{}, { origin }, { 'access-control-request-method': 'POST' }];
    for (const headers of notPreflights) {
      const answer = await rawRequest(api.url, 'OPTIONS', '/api/memories', { headers });
      assert.equal(answer.status, 404, `${JSON.stringify(headers)}: ${answer.text}`);
      assert.deepEqual(answer.body, { error: 'not_found', message: 'Cannot OPTIONS /api/memories' });
    }
    const notJson = await withBody('OPTIONS', '/api/memories', '{not json', sized('{not json'));
    assert.deepEqual([notJson.status, notJson.body.error], [400, 'bad_request'], notJson.text);
    const large = JSON.stringify({ note: 'x'.repeat(100_000) });
    const tooLarge = await withBody('OPTIONS', '/api/memories', large, sized(large));
    assert.deepEqual([tooLarge.status, tooLarge.body.error], [413, 'payload_too_large'], tooLarge.text);
    // A preflight is answered before its body is read (browsers send none), and never needs a credential.
    const preflight = await rawRequest(api.url, 'OPTIONS', '/mcp', {
      headers: { origin, 'access-control-request-method': 'POST', 'content-type': 'application/json', ...sized('{}') },
      body: '{}',
    });
    assert.equal(preflight.status, 204, preflight.text);
    assert.equal(preflight.headers['access-control-allow-origin'], origin);
  });

  it('still reads the body where a handler reads it: JSON, forms, uploads, MCP; and refuses an empty one there', async () => {
    const register = await api.request('POST', '/oauth/register', {
      body: { client_name: 'reader', redirect_uris: ['http://127.0.0.1:9/cb'] },
    });
    assert.equal(register.status, 201, register.text);
    const token = await fetch(`${api.url}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `grant_type=refresh_token&refresh_token=unknown&client_id=${register.body.client_id}`,
    });
    assert.equal(token.status, 400);
    assert.equal(((await token.json()) as { error: string }).error, 'invalid_grant', 'the form was read');
    const importPath = await send('POST', '/api/import', { body: { path: '../outside.md', source: 'markdown' } });
    assert.match(importPath.body.message, /outside\.md|ENGRAM_IMPORT_DIR/, importPath.text);
    const optional = await send('POST', '/api/consolidation/cleanup', { body: { dry_run: true } });
    assert.equal(optional.status, 200, optional.text);
    assert.equal(optional.body.dry_run, true);
    const ping = await send('POST', '/mcp', {
      body: { jsonrpc: '2.0', id: 1, method: 'ping' },
      headers: { accept: 'application/json, text/event-stream' },
    });
    assert.equal(ping.status, 200, ping.text);

    for (const path of ['/api/memories', '/api/consolidation/cleanup', '/oauth/register', '/api/import']) {
      const empty = await send('POST', path, { rawBody: '' });
      assert.equal(empty.status, 400, `${path}: ${empty.text}`);
      // The OAuth endpoints answer in OAuth's shape (RFC 6749 §5.2).
      const said = path.startsWith('/oauth/') ? empty.body.error_description : empty.body.message;
      assert.equal(said, 'Request body is empty; send a JSON object', path);
    }
    const mcp = await send('POST', '/mcp', { rawBody: '', headers: { accept: 'application/json, text/event-stream' } });
    assert.equal(mcp.status, 400, mcp.text);
    assert.deepEqual(mcp.body, {
      jsonrpc: '2.0',
      id: null,
      error: { code: -32700, message: 'Request body is empty; send a JSON object' },
    });
  });
});
